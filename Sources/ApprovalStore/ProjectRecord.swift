import ApprovalCore
import Foundation

/// A project's row: who and where it is, which workflow version it runs, and the head of its audit chain.
/// Its items' states are in `snapshot` when it was made under the current calendar, otherwise rebuilt from the events
/// (see `ProjectRepository.load`).
public struct ProjectRecord: Sendable, Hashable {
    public let id: Int64
    public let code: String
    public let codeIssuedLocally: Bool
    public var name: String
    public let investorOrganisation: String
    public let region: String
    public let attributes: [String: AttributeValue]
    public let workflowVersionID: Int64
    public let startedOn: CivilDate
    public var agentID: Int64?
    /// Optimistic concurrency: the ETag. Every change increases it.
    public var version: Int
    public var lastSeq: Int
    public var lastHash: Data
    public var currentStage: String?
    public var completed: Bool
    public var warning: WarningLevel
    public var usedDays: Int
    /// Warnings the sweeper has already raised (each once).
    public var itemYellowRaised: [String]
    public var warningRaised: WarningLevel
    /// The items as of the last change, when stored (see `ProjectRepository.load`).
    public var snapshot: ProjectSnapshot?

    public var etag: String { Self.etag(version: version) }
    public static func etag(version: Int) -> String { "\"\(version)\"" }
}

/// The fields of a project to create.
public struct NewProject: Sendable {
    public var code: String
    public var codeIssuedLocally: Bool
    public var name: String
    public var investorOrganisation: String
    public var region: String
    public var attributes: [String: AttributeValue]
    public var workflowVersionID: Int64
    public var startedOn: CivilDate

    public init(code: String, codeIssuedLocally: Bool, name: String, investorOrganisation: String, region: String,
                attributes: [String: AttributeValue], workflowVersionID: Int64, startedOn: CivilDate) {
        self.code = code
        self.codeIssuedLocally = codeIssuedLocally
        self.name = name
        self.investorOrganisation = investorOrganisation
        self.region = region
        self.attributes = attributes
        self.workflowVersionID = workflowVersionID
        self.startedOn = startedOn
    }
}

/// A project's state to write (`ProjectWrite`): its record, its items as of `view`, and when the
/// sweeper must next look at it.
public struct ProjectSave: Sendable {
    public var record: ProjectRecord
    public let project: Project
    public let view: ProjectView
    public let nextDue: Date?
    /// The forecast from history, from the departments' recent paces.
    public let expected: ExpectedForecast
    /// The items as they stand, kept with the row so that the next write need not replay the events.
    public let snapshot: ProjectSnapshot

    public init(record: ProjectRecord, project: Project, view: ProjectView, nextDue: Date?, calendar: WorkdayCalendar,
                paces: [String: DepartmentPace]) {
        self.record = record
        self.project = project
        self.view = view
        self.nextDue = nextDue
        expected = ExpectedForecast(project: project, usedDays: view.usedDays, asOf: view.asOf, calendar: calendar, paces: paces)
        snapshot = project.snapshot(calendar: calendar)
    }

    /// The record as it stands once this is written: a new version, and the figures of `view`.
    public var savedRecord: ProjectRecord {
        var saved = record
        saved.version += 1
        saved.currentStage = view.currentStageID
        saved.completed = view.currentStageID == nil
        saved.warning = view.warning
        saved.usedDays = view.usedDays
        saved.snapshot = snapshot
        return saved
    }
}

/// One event to append to a project's audit chain: what happened (typed), to which item, by whom and when.
public struct NewEvent: Sendable {
    public var event: DomainEvent
    public var itemID: String?
    public var actorID: Int64
    public var at: Date
    public var on: CivilDate

    public var kind: EventKind { event.kind }

    public init(_ event: DomainEvent, itemID: String? = nil, actorID: Int64, at: Date, on: CivilDate) {
        self.event = event
        self.itemID = itemID
        self.actorID = actorID
        self.at = at
        self.on = on
    }
}

/// One event as the timeline shows it.
public struct TimelineEntry: Sendable, Hashable {
    public let seq: Int
    public let at: Date
    public let on: CivilDate
    public let kind: String
    public let itemID: String?
    public let payload: JSONValue
    public let actorID: Int64
    public let actorName: String
    public let actorRole: Role
}
