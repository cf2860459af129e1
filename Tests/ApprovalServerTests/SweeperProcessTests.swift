import ApprovalStore
import ApprovalTestSupport
import Foundation
import PostgresNIO
import Testing

/// The `approvals sweeper` worker as a real process, killed with SIGKILL in the middle of a batch.
@Suite("Sweeper process: killed mid-batch and restarted", .timeLimit(.minutes(5)))
struct SweeperProcessTests {
    /// The `approvals` executable built next to this test bundle.
    static var executable: URL {
        URL(filePath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().appending(path: "approvals")
    }

    /// A worker started in the background, its output in a file (a pipe nobody reads fills and stalls it).
    struct Worker {
        let process: ChildProcess
        let output: URL

        /// `approvals sweeper --once` by default; `mode` replaces `--once` (e.g. a running worker's options).
        init(_ server: TestServer, mode: [String] = ["--once"]) throws {
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = server.location.url
            output = FileManager.default.temporaryDirectory.appending(path: "sweeper-\(UUID().uuidString).log")
            process = try ChildProcess([SweeperProcessTests.executable.path, "sweeper"] + mode + ["--workflows", projectRoot.appending(path: "Workflows").path,
                                        "--migrations", projectRoot.appending(path: "Migrations").path, "--webhook-interval", "0", "--log-level", "error"],
                                       environment: environment, output: output)
        }

        /// Waits for the worker to exit without blocking a thread of the test's (small) concurrency pool, and
        /// returns how it ended and what it printed.
        func exited() async -> (termination: ChildProcess.Termination?, printed: String) {
            let termination = await process.termination()
            defer { try? FileManager.default.removeItem(at: output) }
            return (termination, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
        }
    }

    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<600 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
    }

    @Test func aSweeperKilledMidBatchLosesNothingAndRepeatsNothing() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build the package first: \(Self.executable.path)")
        try await TestServer.run { server in
            // Five projects whose filing (limit 1 working day, accepted 2026-03-02) is long overdue for the
            // worker, which runs on the system clock.
            for index in 0..<5 {
                let code = try await server.createEnterpriseProject(name: "项目 \(index)")
                try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
                try await server.attachEveryMaterial(code, "project-filing")
                try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            }
            let waitingOnLock = "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"

            // Hold the formal-documents table: the worker claims its batch, writes the first default approval's
            // events, then blocks on its first formal document — mid-batch — and is killed there.
            try await server.database.transaction { connection in
                try await connection.query("LOCK TABLE formal_documents IN ACCESS EXCLUSIVE MODE", logger: server.database.logger)
                let worker = try Worker(server)
                try await waitUntil("the worker is blocked inside its batch") { try await server.count(waitingOnLock) == 1 }
                kill(worker.process.pid, SIGKILL)
                #expect(await worker.exited().termination == .signalled(SIGKILL))
            }
            // PostgreSQL finds the client gone and rolls its transaction back, claim included.
            try await waitUntil("the killed worker's transaction is gone") {
                try await server.count("""
                    SELECT count(*)::int FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'
                    """) == 0
            }
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.default_approve'") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM formal_documents") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM projects WHERE next_due_at IS NOT NULL") == 5)

            // Restarted: every timeout is applied, once.
            let (termination, printed) = try await Worker(server).exited()
            #expect(termination == .exited(0), "\(printed)")
            #expect(printed.contains("5 projects: 5 default approvals, 0 escalations"), "\(printed)")
            #expect(try await server.count("""
                SELECT count(*)::int FROM (SELECT project_id FROM events WHERE kind = 'item.default_approve'
                                           GROUP BY project_id HAVING count(*) = 1) once
                """) == 5)
            #expect(try await server.count("SELECT count(*)::int FROM formal_documents") == 5)
            #expect(try await server.count("""
                SELECT count(*)::int FROM (SELECT 1 FROM notifications GROUP BY user_id, project_id, event_seq HAVING count(*) > 1) twice
                """) == 0)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)

            // And a third run finds nothing left to do.
            #expect(try await Worker(server).exited().printed.contains("0 projects"))
        }
    }

    /// A running worker whose sweep finishes no batch (here: its batch waits on a lock; in a failover, on a
    /// statement the dropped connection never answers) exits with 75 once --stall-limit passes, for systemd to
    /// start it again, and its batch rolls back.
    @Test func aWorkerWhoseSweepStallsExitsForItsSupervisor() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject(name: "停滞的项目")
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            try await server.database.transaction { connection in
                try await connection.query("LOCK TABLE formal_documents IN ACCESS EXCLUSIVE MODE", logger: server.database.logger)
                let started = ContinuousClock.now
                let (termination, printed) = try await Worker(server, mode: ["--interval", "1", "--stall-limit", "10"]).exited()
                let took = ContinuousClock.now - started
                #expect(termination == .exited(75), "\(printed)")
                #expect(printed.contains("exiting so the supervisor starts this worker again"), "\(printed)")
                #expect(took >= .seconds(10) && took < .seconds(60), "\(took)")
            }
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.default_approve'") == 0)
            #expect(try await Worker(server).exited().printed.contains("1 projects: 1 default approvals"))
        }
    }
}
