import ApprovalCore
import ApprovalSeed
import ApprovalServer
import ApprovalStore
import ArgumentParser
import Foundation
import Hummingbird

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the /v1 API (and /healthz, /readyz, /metrics, /openapi.yaml).",
        discussion: "Without DATABASE_URL, a private PostgreSQL cluster is started in ./.postgres and kept between runs (as root, when the postgres user cannot enter this folder, in /var/tmp/approvals-postgres instead)."
    )

    @Option(help: "Address to listen on.")
    var host: String = ProcessInfo.processInfo.environment["APPROVALS_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_PORT"] ?? "") ?? 8080

    @Option(help: "Directory holding departments.yaml, calendars/ and the workflow files.")
    var workflows: String = ProcessInfo.processInfo.environment["APPROVALS_WORKFLOWS"] ?? "Workflows"

    @Flag(help: "Do not apply pending migrations at start-up; refuse to start if any is pending.")
    var noMigrate = false

    @Flag(help: "Load demo users (with public, well-known tokens) and sample projects. Never in production.")
    var demo = false

    @Option(help: "system, or virtual: time stands still until an admin moves it (POST /v1/admin/clock); needs --development.")
    var clock: String = ProcessInfo.processInfo.environment["APPROVALS_CLOCK"] ?? "system"

    @Option(help: "With --clock virtual, the instant to start from (ISO 8601), e.g. 2026-01-05T09:00:00+08:00.")
    var clockStart: String?

    @Flag(help: "Development mode: allows --clock virtual, --demo, http webhooks and public tokens. Never in production.")
    var development = false

    @Option(help: "The https address users reach this server at, e.g. https://approvals.example.gov.cn; with https, cookies are Secure.")
    var publicURL: String? = ProcessInfo.processInfo.environment["APPROVALS_PUBLIC_URL"]

    @Option(help: "Seconds a connection may stay silent, a request's headers included, before it is closed.")
    var idleTimeout: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_HTTP_IDLE_TIMEOUT"] ?? "") ?? 30

    @Option(help: "Working days between calling a joint meeting and holding it, so the invited departments hear of it first.")
    var meetingNoticeDays: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_MEETING_NOTICE_DAYS"] ?? "") ?? 1

    @OptionGroup var retention: RetentionOptions

    @OptionGroup var materials: MaterialOptions

    @Option(help: "Seconds a hot standby (APPROVALS_READ_DATABASE_URL) may lag before reports and lists read from the primary instead.")
    var readMaxStaleness: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_READ_MAX_STALENESS"] ?? "") ?? 30

    @Option(help: "Seconds between deadline sweeps in the background; 0 runs no sweeper here (run `approvals sweeper`).")
    var sweepInterval: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_SWEEP_INTERVAL"] ?? "") ?? 30

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var webhooks: WebhookOptions

    /// The longest pause between background runs: a day. Longer ones are no schedule, and past Int64 seconds a
    /// sleep's deadline cannot be computed at all.
    static let maximumIntervalSeconds = 86_400

    func validate() throws {
        guard !demo || development else {
            throw ValidationError("--demo needs --development: the demo users' tokens are public, so they must never reach a deployment")
        }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--public-url (APPROVALS_PUBLIC_URL) must be an absolute http or https URL, not '\(publicURL)'")
            }
        }
        guard (1...30).contains(meetingNoticeDays) else { throw ValidationError("--meeting-notice-days must be 1 to 30, not \(meetingNoticeDays)") }
        guard (1...3600).contains(readMaxStaleness) else {
            throw ValidationError("--read-max-staleness must be 1 to 3600 seconds, not \(readMaxStaleness)")
        }
        guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1 to 3600 seconds, not \(idleTimeout)") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535, not \(port)") }
        guard (0...Self.maximumIntervalSeconds).contains(sweepInterval) else {
            throw ValidationError("--sweep-interval must be 0 to \(Self.maximumIntervalSeconds) seconds, not \(sweepInterval)")
        }
    }

    func makeClock() throws -> any ApprovalClock {
        switch clock {
        case "system":
            return SystemClock()
        case "virtual":
            guard development else { throw ValidationError("--clock virtual needs --development: a movable clock must never run in production") }
            var start = Date()
            if let clockStart {
                guard let parsed = ISO8601DateFormatter().date(from: clockStart) else {
                    throw ValidationError("--clock-start must be an ISO 8601 instant such as 2026-01-05T09:00:00+08:00, not '\(clockStart)'")
                }
                // Today must be a date the service handles; the admin API keeps the clock there afterwards.
                let years = CivilDate.acceptedYears
                guard years.contains(Calendar(identifier: .gregorian).component(.year, from: parsed)) else {
                    throw ValidationError("--clock-start must fall in the years \(years.lowerBound)–\(years.upperBound), not '\(clockStart)'")
                }
                start = parsed
            }
            return VirtualClock(start)
        default:
            throw ValidationError("--clock must be system or virtual, not '\(clock)'")
        }
    }

    func run() async throws {
        let logger = database.makeLogger()
        let clock = try makeClock()
        let catalog: DefinitionCatalog
        do {
            catalog = try DefinitionCatalog.load(directory: workflows)
        } catch {
            throw ValidationError("the definitions in \(workflows) have errors; fix them first (approvals workflows validate \(workflows)):\n\(error)")
        }
        try await DatabaseSession.with(logger: logger) { db, _ in
            try await DatabaseSession.prepareSchema(db, migrationsFolder: database.migrationsFolder, apply: !noMigrate)
            let registry = try await WorkflowRegistry.register(catalog, in: db)
            let revisited = try await db.transaction {
                try await DeadlineQueue.revisitProvisionalDeadlines(now: clock.now(), on: $0, logger: logger)
            }
            if revisited > 0 { logger.info("calendar: \(revisited) projects with provisional deadlines will be re-computed by the sweeper") }
            if !development {
                // A token anyone can read in the README or the tests must never sign someone in to a deployment.
                let holders = try await db.read {
                    try await UserRepository.holdersOfPublicTokens(known: DemoData.publicSecrets, on: $0, logger: logger)
                }
                guard holders.isEmpty else {
                    throw RefusedStart(description: """
                        refusing to start outside --development: public tokens (demo-*, seed-*, test-*) still sign in \
                        \(holders.map { "user \($0.id) '\($0.name)' (\($0.role.rawValue))" }.joined(separator: ", ")); \
                        revoke them (psql: UPDATE tokens SET revoked_at = now() WHERE public_secret) or deactivate those users
                        """)
                }
            }
            let metricsToken = ProcessInfo.processInfo.environment["APPROVALS_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            let materials = try materials.settings()
            let settings = ServerSettings(development: development, publicURL: publicURL.flatMap(URL.init(string:)), metricsToken: metricsToken,
                                          idleTimeout: .seconds(idleTimeout), retention: retention.retention, meetingNotice: meetingNoticeDays,
                                          materials: materials)
            try await ReadReplica.with(url: ProcessInfo.processInfo.environment["APPROVALS_READ_DATABASE_URL"], primary: db,
                                       maximumStaleness: .seconds(readMaxStaleness)) { readReplica in
                let context = ServerContext(database: db, registry: registry, clock: clock, migrationsFolder: database.migrationsFolder,
                                            virtualClockControl: clock is VirtualClock, webhookEgress: try webhooks.egress(development: development),
                                            settings: settings, readReplica: readReplica)
                if clock is VirtualClock { logger.warning("development mode: virtual clock at \(clock.now()); admins move it with POST /v1/admin/clock") }
                if demo, try await DemoData.seed(context) {
                    logger.notice("demo data loaded; tokens: \(DemoData.users.map { "\($0.token) (\($0.user.role.rawValue))" }.joined(separator: ", "))")
                }
                let app = try buildApplication(context, host: host, port: port,
                                               sweepInterval: sweepInterval > 0 ? .seconds(sweepInterval) : nil,
                                               webhookInterval: webhooks.interval, webhookPolicy: try webhooks.policy(development: development), logger: logger)
                logger.notice("serving on http://\(host):\(port) (API /v1, contract /openapi.yaml)")
                try await app.runService()
            }
        }
    }
}

/// Why `serve` will not start with this database, printed without the usage text (the arguments were fine).
struct RefusedStart: Error, CustomStringConvertible {
    let description: String
}
