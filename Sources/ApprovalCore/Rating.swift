import Foundation

/// An investor's rating (好差评) of an ended item or of the agent.
public struct Rating: Sendable, Hashable {
    public enum Subject: Sendable, Hashable {
        case item(String)
        case agent(Int64)

        /// What "one rating per subject" counts by: the item, or the project's agency (whichever agent carried it).
        public var key: String {
            switch self {
            case let .item(id): "item:\(id)"
            case .agent: "agent"
            }
        }
    }

    /// How long a rating can still be changed after it was first given.
    public static let editableFor: TimeInterval = 7 * 86_400

    public let subject: Subject
    public let score: Int
    public let text: String
    public let firstAt: Date
    public let updatedAt: Date

    public var editableUntil: Date { firstAt.addingTimeInterval(Self.editableFor) }

    public init(subject: Subject, score: Int, text: String, firstAt: Date, updatedAt: Date) {
        self.subject = subject
        self.score = score
        self.text = text
        self.firstAt = firstAt
        self.updatedAt = updatedAt
    }

    /// Why a rating cannot be given or changed: a conflict with the project's state, or a subject that is not one.
    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        case agreementStillActive
        case neverHadAnAgent
        case unknownSubject(String)
        case itemNotEnded(item: String, state: ItemState)
        case final(firstAt: Date, editableUntil: Date)

        public var description: String {
            switch self {
            case .agreementStillActive: "the agent is rated when the agency agreement ends (办结 or 终止)"
            case .neverHadAnAgent: "the project never had an agent"
            case let .unknownSubject(subject): "'\(subject)' is neither `agent` nor an item of this project"
            case let .itemNotEnded(item, state): "item '\(item)' is rated once it has ended; it is \(state.rawValue)"
            case let .final(firstAt, until): "this rating was given on \(firstAt) and could be changed for 7 days, until \(until)"
            }
        }
    }

    /// What an investor rates (好差评): `agent` once the agency agreement has ended (办结 or 终止) — the agent who
    /// carried the project, current or last — or an item of the project once it has ended.
    public static func subject(_ named: String, of project: Project, latestAgreement: AgencyAgreement?, agentID: Int64?) throws(Refusal) -> Subject {
        if named == "agent" {
            guard let latestAgreement, latestAgreement.state != .active else { throw .agreementStillActive }
            guard let agentID else { throw .neverHadAnAgent }
            return .agent(agentID)
        }
        guard let item = project.item(named) else { throw .unknownSubject(named) }
        guard isRateable(item.state) else { throw .itemNotEnded(item: item.id, state: item.state) }
        return .item(item.id)
    }

    /// An item is rated once it has ended, unless it never applied.
    public static func isRateable(_ state: ItemState) -> Bool { state.hasEnded && state != .notApplicable }

    /// One rating per subject, which can be changed for `editableFor` after it was first given.
    public static func checkMayRate(previous: Rating?, at now: Date) throws(Refusal) {
        if let previous, now > previous.editableUntil { throw .final(firstAt: previous.firstAt, editableUntil: previous.editableUntil) }
    }
}
