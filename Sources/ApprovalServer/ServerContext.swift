import ApprovalCore
import ApprovalStore
import Foundation
import Logging
import PostgresNIO

/// What every handler shares: the database, the workflow versions, the clock and the metrics.
public struct ServerContext: Sendable {
    public let database: Database
    public let registry: WorkflowRegistry
    public let clock: any ApprovalClock
    public let metrics: ServerMetrics
    public let migrationsFolder: URL
    /// Set only in development mode with `--clock virtual`: then admins may move time through the API.
    public let virtualClock: VirtualClock?

    public init(database: Database, registry: WorkflowRegistry, clock: any ApprovalClock, metrics: ServerMetrics = ServerMetrics(),
                migrationsFolder: URL, virtualClockControl: Bool = false) {
        self.database = database
        self.registry = registry
        self.clock = clock
        virtualClock = virtualClockControl ? clock as? VirtualClock : nil
        self.metrics = metrics
        self.migrationsFolder = migrationsFolder
    }

    var logger: Logger { RequestScope.logger }

    /// The deployment's time zone (its calendars'): days end at 24:00 there (DOMAIN.md).
    public var timeZone: TimeZone { registry.catalog.timeZone }

    /// The one "today" of the deployment, for every project, report and page.
    public var today: CivilDate { clock.today(in: timeZone) }

    /// What to write for a changed project, given its formal documents and newest progress update as they stand
    /// after the change (the sweeper keeps those for its whole batch rather than read them again).
    func projectSave(_ record: ProjectRecord, _ project: Project, today: CivilDate, documents: [String: FormalDocument],
                     lastProgress progress: ProgressUpdate?) -> ProjectSave {
        let calendar = registry.calendar(for: project.workflow)
        let view = ProjectView(project: project, asOf: today, calendar: calendar)
        // A formal document still owed can go overdue at midnight too.
        let documentOwed = documents.values.contains { $0.issuedOn == nil && $0.overdueOn == nil }
        // So does the agent's next step, the night after its date, unless a newer update came first.
        let followUpDue = progress.flatMap { update in
            update.followUpOverdueOn == nil && record.agentID != nil ? update.nextStepOn.map { max($0, today).endOfDay(in: timeZone) } : nil
        }
        let nextDue = [project.nextSweep(after: today, in: timeZone), documentOwed ? today.endOfDay(in: timeZone) : nil, followUpDue]
            .compactMap { $0 }.min()
        return ProjectSave(record: record, project: project, view: view, nextDue: nextDue, calendar: calendar)
    }
}
