import ApprovalCore
import ApprovalStore
import Foundation
import Logging

/// What every handler shares: the database, the workflow versions, the clock and the metrics.
public struct ServerContext: Sendable {
    public let database: Database
    public let registry: WorkflowRegistry
    public let clock: any ApprovalClock
    public let metrics: HTTPMetrics
    public let migrationsFolder: URL

    public init(database: Database, registry: WorkflowRegistry, clock: any ApprovalClock, metrics: HTTPMetrics = HTTPMetrics(),
                migrationsFolder: URL) {
        self.database = database
        self.registry = registry
        self.clock = clock
        self.metrics = metrics
        self.migrationsFolder = migrationsFolder
    }

    var logger: Logger { RequestScope.logger }

    /// Today in the time zone of the workflow's calendar: days end at 24:00 there (DOMAIN.md).
    func today(for workflow: WorkflowDefinition) -> CivilDate {
        let calendar = registry.calendar(for: workflow)
        return clock.today(in: TimeZone(identifier: calendar.timeZoneIdentifier)!)
    }
}
