import ApprovalCore
import ApprovalServer
import ApprovalStore
import ArgumentParser
import Foundation
import ServiceLifecycle

struct SweeperCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweeper",
        abstract: "Run the deadline sweeper (超时默认, escalation) and webhook delivery as a dedicated worker; any number may run against one database."
    )

    @Option(help: "Directory holding departments.yaml, calendars/ and the workflow files.")
    var workflows: String = ProcessInfo.processInfo.environment["APPROVALS_WORKFLOWS"] ?? "Workflows"

    @Option(help: "Seconds between sweeps, 1 to \(ServeCommand.maximumIntervalSeconds).")
    var interval: Int = 30

    @Option(help: "Seconds a sweep may go without finishing a batch before the worker exits (75) for its supervisor to start it again, 10 to 3600.")
    var stallLimit: Int = 120

    @Flag(help: "Sweep once until nothing is due, print what was done, and exit.")
    var once = false

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var webhooks: WebhookOptions

    @OptionGroup var retention: RetentionOptions

    @OptionGroup var materials: MaterialOptions

    func validate() throws {
        guard (10...3600).contains(stallLimit) else { throw ValidationError("--stall-limit must be 10 to 3600 seconds, not \(stallLimit)") }
        guard (1...ServeCommand.maximumIntervalSeconds).contains(interval) else {
            throw ValidationError("--interval must be 1 to \(ServeCommand.maximumIntervalSeconds) seconds, not \(interval)")
        }
    }

    func run() async throws {
        let logger = database.makeLogger()
        try await database.withContext(workflows: workflows, settings: ServerSettings(retention: retention.retention, materials: try materials.settings())) { context in
            let sweeper = DeadlineSweeper(context: context)
            if once {
                let started = ContinuousClock.now
                let result = try await sweeper.sweepAll()
                print("\(result.projects) projects: \(result.defaultApprovals) default approvals, \(result.escalations) escalations"
                      + " in \(String(format: "%.3f", started.duration(to: .now).seconds)) s")
                return
            }
            // A sweep stuck on a connection the database dropped is ended by exiting: the supervisor (systemd's
            // Restart=always) starts the worker again, and the batch in hand has rolled back.
            let stallLimit = Duration.seconds(self.stallLimit)
            let watchdog = DeadlineSweeperService.Watchdog(limit: stallLimit) { stalled in
                logger.critical("sweeper: no batch finished for \(stalled) (limit \(stallLimit)); exiting so the supervisor starts this worker again")
                Foundation.exit(75)
            }
            var services: [any Service] = [DeadlineSweeperService(sweeper: sweeper, interval: .seconds(interval), logger: logger, watchdog: watchdog)]
            if let webhookInterval = webhooks.interval {
                services.append(WebhookDeliveryService(database: context.database, policy: try webhooks.policy(development: false), metrics: context.metrics,
                                                       interval: webhookInterval, logger: logger))
            }
            try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
        }
    }
}
