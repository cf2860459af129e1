/// What an audit event records: the one list of event kinds, and their one text form. The text is stored in
/// `events.kind`, hashed by the audit chain and sent in notifications and webhooks, so a kind's text never
/// changes once written; a new kind is a new case.
public enum EventKind: Sendable, Hashable, CustomStringConvertible {
    case projectCreated
    case projectRenamed
    /// An item action (`item.<code>`), by a person or by the deadline engine.
    case item(ItemAction.Code)
    /// 正式文书: the document a department issues after a default approval.
    case formalDocumentIssued
    /// The formal document was not issued within its working day.
    case formalDocumentOverdue
    case meetingScheduled
    case meetingClosed
    /// An item of a department absent from a joint meeting whose policy forbids silent approval.
    case meetingAbsenceEscalated
    case agentAssigned
    case agentHandedOver
    case agentEnded
    /// The agent's promised next step passed without a newer progress update.
    case agentFollowUpOverdue
    case agreement(AgreementChange)
    case progressLogged
    /// 疑难会商
    case caseRaised
    case caseResolved
    /// 好差评
    case ratingGiven
    case ratingChanged
    /// An item entered its yellow window (电子监察).
    case itemWarning
    /// The project turned yellow or red.
    case projectWarning
    /// 申请材料: a library material attached to, or detached from, an item's requirement.
    case materialAttached
    case materialDetached
    /// 电子证照: the document an item's decision issued, put into the investor's library.
    case materialIssued

    /// What happened to an agency agreement.
    public enum AgreementChange: String, Sendable, Hashable, CaseIterable {
        case authorised, renewed, terminated, completed
    }

    /// Every kind, for the codec's inverse and its test.
    public static let all: [EventKind] = [
        .projectCreated, .projectRenamed, .formalDocumentIssued, .formalDocumentOverdue, .meetingScheduled, .meetingClosed, .meetingAbsenceEscalated,
        .agentAssigned, .agentHandedOver, .agentEnded, .agentFollowUpOverdue, .progressLogged, .caseRaised, .caseResolved,
        .ratingGiven, .ratingChanged, .itemWarning, .projectWarning, .materialAttached, .materialDetached, .materialIssued,
    ] + ItemAction.Code.allCases.map(EventKind.item) + AgreementChange.allCases.map(EventKind.agreement)

    private static let byText: [String: EventKind] = Dictionary(uniqueKeysWithValues: all.map { ($0.text, $0) })

    /// The stored text: `family.name`.
    public var text: String {
        switch self {
        case .projectCreated: "project.created"
        case .projectRenamed: "project.renamed"
        case let .item(code): "item.\(code.rawValue)"
        case .formalDocumentIssued: "formal_document.issued"
        case .formalDocumentOverdue: "formal_document.overdue"
        case .meetingScheduled: "meeting.scheduled"
        case .meetingClosed: "meeting.closed"
        case .meetingAbsenceEscalated: "meeting.absence_escalated"
        case .agentAssigned: "agent.assigned"
        case .agentHandedOver: "agent.handed_over"
        case .agentEnded: "agent.ended"
        case .agentFollowUpOverdue: "agent.follow_up_overdue"
        case let .agreement(change): "agreement.\(change.rawValue)"
        case .progressLogged: "progress.logged"
        case .caseRaised: "case.raised"
        case .caseResolved: "case.resolved"
        case .ratingGiven: "rating.given"
        case .ratingChanged: "rating.changed"
        case .itemWarning: "warning.item"
        case .projectWarning: "warning.project"
        case .materialAttached: "material.attached"
        case .materialDetached: "material.detached"
        case .materialIssued: "material.issued"
        }
    }

    /// The kind a stored text names; nil for a text no version of this server wrote.
    public init?(text: String) {
        guard let kind = Self.byText[text] else { return nil }
        self = kind
    }

    public var description: String { text }
}
