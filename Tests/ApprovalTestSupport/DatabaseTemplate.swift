import Foundation
import Logging
import PostgresNIO
import ApprovalStore

/// Test isolation in the style of SwiftPackageIndex-Server: one server per test process (DATABASE_URL, or a
/// private cluster in `.postgres-test/` with relaxed durability), one template database migrated once, and a
/// fresh database cloned from it for each test, so tests run in parallel against real PostgreSQL.
public actor DatabaseTemplate {
    public static let shared = DatabaseTemplate()
    static let templateName = "approvals_template"

    private var prepared: Task<DatabaseLocation, any Error>?
    private var counter = 0
    private nonisolated let logger: Logger = {
        var logger = Logger(label: "approvals-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` with a fresh, migrated database of its own, dropped afterwards.
    public nonisolated func withFreshDatabase<Result: Sendable>(projectRoot: URL, _ body: (Database, DatabaseLocation) async throws -> Result) async throws -> Result {
        let server = try await prepare(projectRoot: projectRoot).value
        let name = await nextDatabaseName()
        let logger = logger
        try await Database.withClient(server, logger: logger) { admin in
            // PostgreSQL refuses to copy a template someone is connected to (55006); the only ones are the
            // migration's pooled connections closing late, so a refused copy is tried again a little later.
            for attempt in 1...100 {
                do {
                    _ = try await admin.read { try await $0.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: Self.templateName)", logger: logger) }
                    return
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 100 {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        let location = server.with(database: name)
        let result: Swift.Result<Result, any Error>
        do {
            // A loaded machine running many tests at once may keep a connection waiting for a while; the tests of the
            // wait itself (DatabaseOutageTests) make pools of their own with a short one.
            result = .success(try await Database.withClient(location, maximumConnections: 8, connectionWait: .seconds(30), logger: logger) { try await body($0, location) })
        } catch {
            result = .failure(error)
        }
        _ = try? await Database.withClient(server, logger: logger) { admin in
            try await admin.read { try await $0.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger) }
        }
        return try result.get()
    }

    private func nextDatabaseName() -> String {
        counter += 1
        return "approvals_test_\(getpid())_\(counter)"
    }

    private func prepare(projectRoot: URL) -> Task<DatabaseLocation, any Error> {
        if let prepared { return prepared }
        let logger = logger
        let task = Task<DatabaseLocation, any Error> {
            let server: DatabaseLocation
            if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
                server = try DatabaseLocation(url: url)
            } else {
                let cluster = try EmbeddedPostgres(folder: projectRoot.appending(path: ".postgres-test"), settings: [
                    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "400",
                ])
                let outcome = try await cluster.startOffThePool()
                // Where the cluster is (for root perhaps not in the project) and what a crashed run left there.
                FileHandle.standardError.write(Data("approvals tests: \(cluster.describe(outcome))\n".utf8))
                if outcome.ownedHere { stopAtExit(cluster) }
                server = cluster.location
            }
            let migrations = try Migration.load(from: projectRoot.appending(path: "Migrations"))
            try await Database.withClient(server, logger: logger) { admin in
                try await admin.read { connection in
                    // Leftovers of an interrupted run, then a template migrated from scratch.
                    let stale = try await connection.query("""
                        SELECT datname FROM pg_database WHERE datname LIKE 'approvals\\_test\\_%' OR datname = \(Self.templateName)
                        """, logger: logger).collect().map { try $0.decode(String.self) }
                    for name in stale {
                        try await connection.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger)
                    }
                    try await connection.query("CREATE DATABASE \(unescaped: Self.templateName)", logger: logger)
                }
            }
            try await Database.withClient(server.with(database: Self.templateName), logger: logger) { template in
                try await MigrationRunner(migrations: migrations, logger: logger).migrate(template.client)
            }
            // The migration's pool closes its connections after it returns, in the background, and PostgreSQL refuses
            // to copy a template anyone is connected to; the migration is done, so whatever is still connected goes.
            try await Database.withClient(server, logger: logger) { admin in
                try await admin.read { connection in
                    try await connection.query("""
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE datname = \(Self.templateName) AND pid <> pg_backend_pid()
                        """, logger: logger).collect()
                }
            }
            return server
        }
        prepared = task
        return task
    }
}

/// The test cluster is stopped when the test process exits, if this process owns it: at exit, and on SIGTERM,
/// SIGINT and SIGHUP, which end the process without running atexit handlers. (pg_ctl puts the server in a
/// session of its own, so Ctrl-C reaches only the tests; a SIGKILLed run's cluster is taken over by the next.)
nonisolated(unsafe) private var clusterOwnedByThisProcess: EmbeddedPostgres?
/// Dispatch sources rather than signal(2) handlers: on Linux the first dispatch signal source of a process (the live
/// test servers' service groups make some) replaces any signal(2) handler for good, and then delivers the signal
/// only to dispatch sources. These are never cancelled, so they outlive every test's own.
nonisolated(unsafe) private var stopOnSignal: [any DispatchSourceSignal] = []
private let signalQueue = DispatchQueue(label: "approvals-tests.signals")

private func stopAtExit(_ cluster: EmbeddedPostgres) {
    clusterOwnedByThisProcess = cluster
    atexit { clusterOwnedByThisProcess?.stop() }
    for signo in [SIGTERM, SIGINT, SIGHUP] {
        let source = DispatchSource.makeSignalSource(signal: signo, queue: signalQueue)
        source.setEventHandler {
            clusterOwnedByThisProcess?.stop()
            _exit(128 + signo)
        }
        source.resume()
        stopOnSignal.append(source)
    }
}
