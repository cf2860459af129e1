import ApprovalCore
import ApprovalStore
import Foundation
import Logging
import PostgresNIO

/// What every handler shares: the database, the workflow versions, the clock and the metrics.
public struct ServerContext: Sendable {
    public let database: Database
    /// The reads that may be served by a hot standby (reports, dashboard, lists); the primary when there is none.
    public let readReplica: ReadReplica
    public let registry: WorkflowRegistry
    public let clock: any ApprovalClock
    public let metrics: ServerMetrics
    public let migrationsFolder: URL
    /// Set only in development mode with `--clock virtual`: then admins may move time through the API.
    public let virtualClock: VirtualClock?
    /// Where webhooks may be sent (checked when one is registered; the deliverer checks again before each delivery).
    public let webhookEgress: WebhookEgress
    public let settings: ServerSettings
    /// The gauges of `/metrics`, read from the database at most once per `settings.gaugeRefresh`.
    let gauges: ProbeGauges
    /// Uploads under way, bounded by `settings.materials`.
    let uploads: UploadGate
    /// The departments' recent paces, for the forecast from history.
    let paces = PaceCache()

    public init(database: Database, registry: WorkflowRegistry, clock: any ApprovalClock, metrics: ServerMetrics = ServerMetrics(),
                migrationsFolder: URL, virtualClockControl: Bool = false, webhookEgress: WebhookEgress = .strict,
                settings: ServerSettings = ServerSettings(), readReplica: ReadReplica? = nil) {
        self.webhookEgress = webhookEgress
        self.settings = settings
        gauges = ProbeGauges(refresh: settings.gaugeRefresh)
        uploads = UploadGate(total: settings.materials.concurrentUploads, perOrganisation: settings.materials.concurrentUploadsPerOrganisation)
        self.database = database
        self.readReplica = readReplica ?? ReadReplica(primary: database)
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

    /// The forecast from history of a project as `view` sees it, at the paces last loaded.
    func expectedForecast(_ record: ProjectRecord, _ project: Project, view: ProjectView) -> ExpectedForecast {
        ExpectedForecast(project: project, usedDays: view.usedDays, asOf: view.asOf, calendar: registry.calendar(for: project.workflow),
                         paces: paces.paces(forRegion: record.region))
    }

    /// What to write for a changed project, given its formal documents and newest progress update as they stand
    /// after the change (the sweeper keeps those for its whole batch rather than read them again).
    func projectSave(_ record: ProjectRecord, _ project: Project, today: CivilDate, documents: [String: FormalDocument],
                     lastProgress progress: ProgressUpdate?) -> ProjectSave {
        let calendar = registry.calendar(for: project.workflow)
        let view = ProjectView(project: project, asOf: today, calendar: calendar)
        // Only a project's agent follows up, so only while it has one is a next step due.
        let nextDue = project.nextSweep(after: today, in: timeZone, documents: documents.values,
                                        nextStep: record.agentID == nil ? nil : progress?.pendingNextStep)
        return ProjectSave(record: record, project: project, view: view, nextDue: nextDue, calendar: calendar,
                           paces: paces.paces(forRegion: record.region))
    }
}
