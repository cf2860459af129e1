import ApprovalServer
import ApprovalStore
import ApprovalTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// When the database changes over (a restart, a failover to a standby), requests fail cleanly with 503 and
/// Retry-After, readiness says so, and the pool finds its way back by itself.
@Suite("The server rides out a database that changes over", .timeLimit(.minutes(5)))
struct DatabaseOutageTests {
    /// Runs `sql` on a connection of its own (writable whatever the database's default), then ends every other
    /// connection to this test's database — the server's pool's all — as a restart or a failover does.
    static func changeOver(_ server: TestServer, _ sql: String) async throws {
        let logger = server.database.logger
        try await Database.withClient(server.location, logger: logger) { other in
            try await other.read { connection in
                try await connection.query("SET default_transaction_read_only = off", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                try await connection.query("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """, logger: logger)
            }
        }
    }

    /// The answer to a write once the pool has settled (the first try may meet a connection that was cut), tried
    /// every quarter second for up to `attempts`.
    static func settledWrite(_ server: TestServer, _ code: String, key: String, attempts: Int = 20) async throws -> Reply {
        var reply = try await server.call(.patch, "/v1/projects/\(code)", as: .investor, json: #"{"name": "改名后的项目"}"#,
                                          headers: ["Idempotency-Key": key])
        for _ in 0..<attempts where reply.status == 503 {
            #expect(reply.header("Retry-After") == "2" && reply.header("Content-Type") == "application/problem+json", "\(reply.text)")
            try await Task.sleep(for: .milliseconds(250))
            reply = try await server.call(.patch, "/v1/projects/\(code)", as: .investor, json: #"{"name": "改名后的项目"}"#,
                                          headers: ["Idempotency-Key": key])
        }
        return reply
    }

    @Test func aDatabaseThatTakesNoWritesIsA503AndNotReadyUntilItDoesAgain() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject(name: "切换测试项目")
            // As a standby answers after a failover: connections made now are read-only.
            try await Self.changeOver(server, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$")

            let refused = try await Self.settledWrite(server, code, key: "rename-1")
            #expect(refused.status == 503 && refused.string("type") == "/problems/database-unavailable", "\(refused.text)")
            #expect(refused.header("Retry-After") == "2")
            let ready = try await server.call(.get, "/readyz", as: nil)
            #expect(ready.status == 503 && ready.string("database") == "takes no writes (a standby, or read-only)", "\(ready.text)")
            // Reads still work meanwhile.
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .investor).status == 200)

            // The primary is back: the same request, with the same key, goes through once.
            try await Self.changeOver(server, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET default_transaction_read_only', current_database()); END $$")
            let renamed = try await Self.settledWrite(server, code, key: "rename-1")
            #expect(renamed.status == 200 && renamed.string("name") == "改名后的项目", "\(renamed.text)")
            #expect(try await server.call(.get, "/readyz", as: nil).status == 200)
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'project.renamed'") == 1)
        }
    }

    /// PostgreSQL stopped (a restart, or no leader during a failover): requests are answered 503 within the
    /// connection wait rather than held for the pool's minute, readiness says so, and once it is back the pool
    /// reconnects by itself and the client's retry with the same key goes through once.
    @Test func aDatabaseThatIsDownIsA503WithinSecondsAndThePoolFindsItsWayBack() async throws {
        var logger = Logger(label: "approvals-tests")
        logger.logLevel = .critical
        let cluster = try EmbeddedPostgres(folder: projectRoot.appending(path: ".postgres-restart-test"), settings: PrivateCluster.settings)
        defer { cluster.stop() }
        let location = try await PrivateCluster.startMigrated(cluster, projectRoot: projectRoot, logger: logger)
        try await Database.withClient(location, maximumConnections: 8, connectionWait: .seconds(2), logger: logger) { database in
            try await TestServer.serve(database, at: location) { server in
                let code = try await server.createEnterpriseProject(name: "重启测试项目")
                await cluster.stopOffThePool()
                let started = ContinuousClock.now
                let refused = try await server.call(.patch, "/v1/projects/\(code)", as: .investor, json: #"{"name": "改名后的项目"}"#,
                                                    headers: ["Idempotency-Key": "while-down"])
                #expect(refused.status == 503 && refused.string("type") == "/problems/database-unavailable", "\(refused.text)")
                #expect(refused.header("Retry-After") == "2")
                let ready = try await server.call(.get, "/readyz", as: nil)
                #expect(ready.status == 503, "\(ready.text)")
                #expect(ContinuousClock.now - started < .seconds(15), "the pool alone would hold them for a minute")

                _ = try await cluster.startOffThePool()
                let renamed = try await Self.settledWrite(server, code, key: "while-down", attempts: 120)
                #expect(renamed.status == 200 && renamed.string("name") == "改名后的项目", "\(renamed.text)")
                #expect(try await server.call(.get, "/readyz", as: nil).status == 200)
                #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'project.renamed'") == 1)
            }
        }
    }
}
