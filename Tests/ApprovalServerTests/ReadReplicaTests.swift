import ApprovalServer
import ApprovalStore
import ApprovalTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// With `APPROVALS_READ_DATABASE_URL`, reports and lists read from a hot standby, say how stale they may be, and
/// leave it for the primary when it lags too far or cannot be reached; writes and a project's own status stay on
/// the primary. Against a real standby streaming from a real primary.
@Suite("Reports and lists read from a streaming standby", .timeLimit(.minutes(5)))
struct ReadReplicaTests {
    static let logger: Logger = {
        var logger = Logger(label: "approvals-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// The codes `GET /v1/projects` lists for the investor, and the answer's `Data-Staleness`.
    static func listed(_ server: TestServer) async throws -> (codes: Set<String>, staleness: Int?) {
        let reply = try await server.call(.get, "/v1/projects", as: .investor)
        #expect(reply.status == 200, "\(reply.text)")
        return (Set(reply.list("projects").compactMap { $0["code"] as? String }), reply.header("Data-Staleness").flatMap { Int($0) })
    }

    /// Polls the list until `condition` holds of it (replay takes a moment), or gives up after 10 s.
    static func listed(_ server: TestServer, until condition: (Set<String>, Int?) -> Bool) async throws -> (codes: Set<String>, staleness: Int?) {
        var answer = try await listed(server)
        for _ in 0..<100 where !condition(answer.codes, answer.staleness) {
            try await Task.sleep(for: .milliseconds(100))
            answer = try await listed(server)
        }
        return answer
    }

    @Test func reportsAndListsReadFromTheStandbyUntilItLagsOrIsGone() async throws {
        try await StreamingReplica.with(projectRoot: projectRoot) { pair in
            try await Database.withClient(pair.primary, maximumConnections: 8, logger: Self.logger) { primary in
                try await Database.withClient(pair.standby, maximumConnections: 4, connectionWait: .seconds(5), logger: Self.logger) { standby in
                    try await Database.withClient(pair.standbyServer, logger: Self.logger) { standbyAdmin in
                        let replica = ReadReplica(primary: primary, standby: standby, maximumStaleness: .seconds(10))
                        try await TestServer.serve(primary, at: pair.primary, readReplica: replica) { server in
                            try await Self.run(server, pair: pair, standbyPool: standby, standbyAdmin: standbyAdmin)
                        }
                    }
                }
            }
        }
    }

    /// Runs `sql` on the standby as its superuser.
    static func onStandby(_ admin: Database, _ sql: String) async throws {
        try await admin.read { _ = try await $0.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect() }
    }

    static func run(_ server: TestServer, pair: StreamingReplica.Pair, standbyPool: Database, standbyAdmin: Database) async throws {
        // The standby is a standby: what it serves it replayed from the primary.
        #expect(try await standbyPool.read { try await DatabaseOutage.takesWrites(on: $0, logger: logger) } == false)

        let first = try await server.createEnterpriseProject(name: "副本上的项目")
        let caughtUp = try await listed(server) { codes, staleness in codes.contains(first) && staleness == 0 }
        #expect(caughtUp.codes.contains(first) && caughtUp.staleness == 0, "\(caughtUp)")
        // Every report and list says how stale it may be; a project's own status (the primary's) does not.
        for path in ["/v1/reports/overdue", "/v1/reports/at-risk", "/v1/reports/departments", "/v1/reports/throughput",
                     "/v1/reports/agent-workload", "/v1/agents"] {
            let reply = try await server.call(.get, path, as: .leader)
            #expect(reply.status == 200 && reply.header("Data-Staleness") != nil, "\(path): \(reply.status) \(reply.text)")
        }
        // A project's own status and the window's queue (read again after each action) come from the primary.
        #expect(try await server.call(.get, "/v1/projects/\(first)", as: .investor).header("Data-Staleness") == nil)
        let queue = try await server.call(.get, "/v1/queue", as: .reviewer)
        #expect(queue.status == 200 && queue.header("Data-Staleness") == nil, "\(queue.text)")

        // Replay paused, as when the standby falls behind: a new project is written (on the primary) and its own
        // status reads it at once, but the list, still within the 10 s allowed, comes from the standby without it
        // and says it may be stale. The standby's figure counts from the last commit it replayed: one is made
        // now, and replayed, before replay stops.
        try await server.sql("CREATE TABLE IF NOT EXISTS replica_probe (at timestamptz)")
        try await server.sql("INSERT INTO replica_probe VALUES (now())")
        let written = try await server.database.read {
            try await $0.query("SELECT pg_current_wal_lsn()::text", logger: logger).collect().first?.decode(String.self) ?? ""
        }
        for _ in 0..<100 {
            let replayed = try await standbyAdmin.read {
                try await $0.query("SELECT pg_last_wal_replay_lsn() >= \(written)::pg_lsn", logger: logger).collect().first?.decode(Bool.self) ?? false
            }
            if replayed { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await onStandby(standbyAdmin, "SELECT pg_wal_replay_pause()")
        let second = try await server.createEnterpriseProject(name: "尚未复制的项目")
        #expect(try await server.call(.get, "/v1/projects/\(second)", as: .investor).status == 200)
        try await Task.sleep(for: .milliseconds(1100))
        let behind = try await listed(server)
        #expect(behind.codes.contains(first) && !behind.codes.contains(second), "\(behind)")
        #expect((behind.staleness ?? 0) >= 1 && (behind.staleness ?? 99) <= 10, "\(behind)")

        // Past the limit, the list is read from the primary: complete, and fresh.
        try await Task.sleep(for: .seconds(10))
        let fromPrimary = try await listed(server)
        #expect(fromPrimary.codes.isSuperset(of: [first, second]) && fromPrimary.staleness == 0, "\(fromPrimary)")

        // Replay resumed: the standby catches up and serves again.
        try await onStandby(standbyAdmin, "SELECT pg_wal_replay_resume()")
        let third = try await server.createEnterpriseProject(name: "恢复复制后的项目")
        let resumed = try await listed(server) { codes, staleness in codes.contains(third) && staleness == 0 }
        #expect(resumed.codes.isSuperset(of: [first, second, third]) && resumed.staleness == 0, "\(resumed)")

        // The standby gone (its server stopped, its connections cut): reads go to the primary at once, not after
        // the pool's own wait, and writes never noticed.
        await pair.stopStandby()
        let started = ContinuousClock.now
        let gone = try await listed(server)
        #expect(gone.codes.isSuperset(of: [first, second, third]) && gone.staleness == 0, "\(gone)")
        #expect(ContinuousClock.now - started < .seconds(15), "the pool itself would wait 60 s")
        let fourth = try await server.createEnterpriseProject(name: "副本停机时的项目")
        #expect(try await listed(server).codes.contains(fourth))
    }
}
