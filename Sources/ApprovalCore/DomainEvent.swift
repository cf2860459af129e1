/// What an audit event says happened, typed: every writer (people through the API, the sweeper, the generator)
/// builds one of these, and `payload` (DomainEvent+Payload.swift) is the one codec to the JSON that is stored,
/// hashed by the audit chain and sent in notifications and webhooks.
public enum DomainEvent: Sendable, Hashable {
    case projectCreated(ProjectCreation)
    case projectRenamed(from: String, to: String)
    /// An item moved (or its clock did), by a person, the deadline engine or a meeting's minutes.
    case item(ItemTransition)
    case formalDocumentIssued(number: String, dueOn: CivilDate, late: Bool)
    case formalDocumentOverdue(department: String, dueOn: CivilDate)
    case meetingScheduled(meeting: Int64, kind: String, stage: String, scheduledOn: CivilDate, invitations: [String: [String]])
    case meetingClosed(meeting: Int64, attendance: [String: String])
    case meetingAbsenceEscalated(meeting: Int64, department: String, leadDepartment: String)
    case agentAssigned(agent: Int64, agentName: String)
    case agentHandedOver(from: Int64, fromName: String, agent: Int64, agentName: String, reason: String, handoverNote: String)
    case agentEnded(agent: Int64, reason: String)
    case agentFollowUpOverdue(agent: Int64, nextStepOn: CivilDate, progress: Int64)
    case agreement(AgreementEvent)
    case progressLogged(progress: Int64, kind: ProgressUpdate.Kind, text: String, nextStepOn: CivilDate?)
    case caseRaised(case: Int64, title: String)
    case caseResolved(case: Int64, meetingOn: CivilDate, outcome: String)
    /// 好差评: `changed` when the rater edits an earlier rating.
    case rated(changed: Bool, subject: String, score: Int, agent: Int64?)
    /// An item entered its yellow window.
    case itemWarning(remainingDays: Int, deadline: CivilDate?)
    case projectWarning(ProjectWarning)
    /// A library material attached to one requirement of the event's item (the application's materials).
    case materialAttached(MaterialAttachment)
    case materialDetached(requirement: String, material: Int64)
    /// The department put the document its decision issued (a licence, permit or opinion) into the investor's library.
    case materialIssued(material: Int64, kind: String, sha256: String)

    public var kind: EventKind {
        switch self {
        case .projectCreated: .projectCreated
        case .projectRenamed: .projectRenamed
        case let .item(transition): .item(transition.action.kind)
        case .formalDocumentIssued: .formalDocumentIssued
        case .formalDocumentOverdue: .formalDocumentOverdue
        case .meetingScheduled: .meetingScheduled
        case .meetingClosed: .meetingClosed
        case .meetingAbsenceEscalated: .meetingAbsenceEscalated
        case .agentAssigned: .agentAssigned
        case .agentHandedOver: .agentHandedOver
        case .agentEnded: .agentEnded
        case .agentFollowUpOverdue: .agentFollowUpOverdue
        case let .agreement(event): .agreement(event.change)
        case .progressLogged: .progressLogged
        case .caseRaised: .caseRaised
        case .caseResolved: .caseResolved
        case let .rated(changed, _, _, _): changed ? .ratingChanged : .ratingGiven
        case .itemWarning: .itemWarning
        case .projectWarning: .projectWarning
        case .materialAttached: .materialAttached
        case .materialDetached: .materialDetached
        case .materialIssued: .materialIssued
        }
    }
}

/// Which version of which library material an application carries for a requirement, and what its bytes were.
public struct MaterialAttachment: Sendable, Hashable {
    public let requirement: String
    public let material: Int64
    public let version: Int
    public let name: String
    /// SHA-256 of the content, hex: what the department decided on, whatever happens to the library later.
    public let sha256: String

    public init(requirement: String, material: Int64, version: Int, name: String, sha256: String) {
        self.requirement = requirement
        self.material = material
        self.version = version
        self.name = name
        self.sha256 = sha256
    }
}

/// A project as it was created: what its `project.created` event records.
public struct ProjectCreation: Sendable, Hashable {
    public let code: String
    public let codeIssuedLocally: Bool
    public let name: String
    public let investorOrganisation: String
    public let region: String
    public let workflow: String
    public let workflowVersion: Int
    /// SHA-256 of the workflow file the project runs.
    public let workflowDigest: String
    public let attributes: [String: AttributeValue]

    public init(code: String, codeIssuedLocally: Bool, name: String, investorOrganisation: String, region: String, workflow: String,
                workflowVersion: Int, workflowDigest: String, attributes: [String: AttributeValue]) {
        self.code = code
        self.codeIssuedLocally = codeIssuedLocally
        self.name = name
        self.investorOrganisation = investorOrganisation
        self.region = region
        self.workflow = workflow
        self.workflowVersion = workflowVersion
        self.workflowDigest = workflowDigest
        self.attributes = attributes
    }
}

/// An item action as performed: the action, the states before and after, and how it came about.
public struct ItemTransition: Sendable, Hashable {
    public let action: ItemAction
    public let from: ItemState
    public let to: ItemState
    /// 补正: the applicant's answer to a supplement request (the action is `resume`).
    public var resubmitted = false
    /// 代办: the agent acted for the investor.
    public var onBehalf: OnBehalf?
    /// Decided by the minutes of this joint meeting.
    public var meeting: Int64?
    /// The working days a department promised at the meeting.
    public var promisedDays: Int?
    /// Whom an escalation went to: the stage's lead department.
    public var leadDepartment: String?
    /// A granted extension, told to the applicant: the days, why, and the deadline it set (nil while the clock is
    /// stopped: the resumption sets it).
    public var extensionGranted: GrantedExtension?

    public init(_ action: ItemAction, from: ItemState, to: ItemState) {
        self.action = action
        self.from = from
        self.to = to
    }

    /// `action` as just performed on `item`, which was `before`, in `project`.
    public init(_ action: ItemAction, before: ProjectItem, in project: Project) {
        let after = project.item(before.id)
        self.init(action, from: before.state, to: after?.state ?? before.state)
        if case .grantExtension = action, let after, let granted = after.timeExtension {
            extensionGranted = GrantedExtension(days: granted.days, reason: granted.reason,
                                                deadline: after.state == .accepted ? after.deadline?.value : nil)
        }
    }
}

/// What a granted extension (延期) tells the applicant.
public struct GrantedExtension: Sendable, Hashable {
    public let days: Int
    public let reason: String
    public let deadline: CivilDate?
}

/// Who acted for whom under an agency agreement (代办).
public struct OnBehalf: Sendable, Hashable {
    public let organisation: String
    public let agentName: String

    public init(organisation: String, agentName: String) {
        self.organisation = organisation
        self.agentName = agentName
    }
}

/// A change of an agency agreement, with what the record keeps of it.
public struct AgreementEvent: Sendable, Hashable {
    public let change: EventKind.AgreementChange
    public let agreement: Int64
    public var scope: [String]?
    public var startsOn: CivilDate?
    public var validUntil: CivilDate?
    public var reason: String?
    /// An authorisation the agency centre recorded from a paper agreement (the investor did not sign in the system).
    public var onPaper: Bool

    public init(_ change: EventKind.AgreementChange, agreement: Int64, scope: [String]? = nil, startsOn: CivilDate? = nil,
                validUntil: CivilDate? = nil, reason: String? = nil, onPaper: Bool = false) {
        self.onPaper = onPaper
        self.change = change
        self.agreement = agreement
        self.scope = scope
        self.startsOn = startsOn
        self.validUntil = validUntil
        self.reason = reason
    }
}

/// The project turned yellow or red: the figures that made it so.
public struct ProjectWarning: Sendable, Hashable {
    public let level: WarningLevel
    public let reason: String
    public let usedDays: Int
    public let forecastDays: Int
    public let totalLimit: Int
    public let criticalPath: [String]

    public init(level: WarningLevel, reason: String, usedDays: Int, forecastDays: Int, totalLimit: Int, criticalPath: [String]) {
        self.level = level
        self.reason = reason
        self.usedDays = usedDays
        self.forecastDays = forecastDays
        self.totalLimit = totalLimit
        self.criticalPath = criticalPath
    }
}
