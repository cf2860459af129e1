import ApprovalStore
import Foundation
import PostgresNIO
import Testing

/// The `approvals sweeper` worker as a real process, killed with SIGKILL in the middle of a batch.
@Suite("Sweeper process: killed mid-batch and restarted")
struct SweeperProcessTests {
    /// The `approvals` executable built next to this test bundle.
    static var executable: URL {
        URL(filePath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().appending(path: "approvals")
    }

    func sweeperProcess(_ server: TestServer, output: Pipe) throws -> Process {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["sweeper", "--once", "--workflows", projectRoot.appending(path: "Workflows").path,
                             "--migrations", projectRoot.appending(path: "Migrations").path, "--webhook-interval", "0", "--log-level", "error"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = server.location.url
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
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
                try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            }
            let waitingOnLock = "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"

            // Hold the formal-documents table: the worker claims its batch, writes the first default approval's
            // events, then blocks on its first formal document — mid-batch — and is killed there.
            let killed = Pipe()
            try await server.database.transaction { connection in
                try await connection.query("LOCK TABLE formal_documents IN ACCESS EXCLUSIVE MODE", logger: server.database.logger)
                let process = try sweeperProcess(server, output: killed)
                try await waitUntil("the worker is blocked inside its batch") { try await server.count(waitingOnLock) == 1 }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(process.terminationReason == .uncaughtSignal)
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
            let restarted = Pipe()
            let process = try sweeperProcess(server, output: restarted)
            process.waitUntilExit()
            let printed = String(decoding: restarted.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(printed)")
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
            let again = Pipe()
            let third = try sweeperProcess(server, output: again)
            third.waitUntilExit()
            #expect(String(decoding: again.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("0 projects"))
        }
    }
}
