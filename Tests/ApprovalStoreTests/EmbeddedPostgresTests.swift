import ApprovalStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// The private cluster against the system's real initdb and pg_ctl: where root puts it, and what start() finds
/// after a crash. Each test makes a cluster of its own in a new temporary folder and stops it at the end.
@Suite("Private PostgreSQL cluster: placement for root, recovery after a crash", .timeLimit(.minutes(5)))
struct EmbeddedPostgresTests {
    let logger = Logger(label: "test")
    /// A throwaway cluster needs no durability.
    static let settings = ["fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"]

    /// A new folder with the given permissions, removed with everything in it afterwards.
    func withTemporaryFolder(mode: mode_t = 0o755, _ body: (URL) async throws -> Void) async throws {
        // Short: the cluster's socket path must fit in about 100 bytes.
        let folder = FileManager.default.temporaryDirectory.appending(path: "approvals-ep-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(chmod(folder.path, mode) == 0)
        try await body(folder)
    }

    /// Stops the cluster and removes its folder (which may be outside `withTemporaryFolder`'s).
    func discard(_ cluster: EmbeddedPostgres) {
        cluster.stop()
        try? FileManager.default.removeItem(at: cluster.folder)
    }

    /// The server answers a query.
    func selectOne(_ cluster: EmbeddedPostgres) async throws -> Int32? {
        try await Database.withClient(cluster.location, logger: logger) { database in
            try await database.read { connection in
                try await connection.query("SELECT 1", logger: logger).collect().first?.decode(Int32.self)
            }
        }
    }

    /// Polls `condition` for up to five seconds.
    func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<50 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
    }

    // Only root hands the cluster to the postgres user, so only root's cluster can be shut out of a mode-700
    // folder; as anyone else it stays in the project and there is nothing to test. CI runs as root.
    @Test(.enabled(if: getuid() == 0, "only root's cluster moves out of a folder the postgres user cannot enter"))
    func rootKeepsTheClusterWhereThePostgresUserCanReachIt() async throws {
        try await withTemporaryFolder(mode: 0o700) { privateFolder in
            let project = privateFolder.appending(path: "project")
            try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
            let cluster = try EmbeddedPostgres(folder: project.appending(path: ".postgres"), settings: Self.settings)
            defer { discard(cluster) }

            #expect(!cluster.dataFolder.path.hasPrefix(privateFolder.path + "/"))
            #expect(cluster.relocationReason?.contains("cannot enter") == true)
            #expect(try await cluster.startOffThePool() == .created)
            #expect(try await selectOne(cluster) == 1)
            #expect(cluster.describe(.created).contains(cluster.folder.path))
            // The same checkout finds the same cluster again; another checkout gets its own.
            #expect(try EmbeddedPostgres(folder: project.appending(path: ".postgres")).folder == cluster.folder)
            let other = privateFolder.appending(path: "other")
            #expect(try EmbeddedPostgres(folder: other.appending(path: ".postgres")).folder != cluster.folder)
        }
    }

    // One cluster for both crash cases: initdb is the slow part.
    @Test func aClusterLeftRunningIsTakenOverAndAKilledOneRestarted() async throws {
        try await withTemporaryFolder { folder in
            let cluster = try EmbeddedPostgres(folder: folder.appending(path: ".postgres"), settings: Self.settings)
            defer { discard(cluster) }
            #expect(try await cluster.startOffThePool() == .created)
            // Its owner (this process) is alive, so a second start leaves the server to it.
            #expect(try await cluster.startOffThePool() == .alreadyRunning)

            // The process that started it died without stopping it (no process has the largest pid).
            try "\(pid_t.max)\n".write(to: cluster.ownerFile, atomically: true, encoding: .utf8)
            let takenOver = try await cluster.startOffThePool()
            #expect(takenOver == .tookOverLeftRunning)
            #expect(takenOver.ownedHere)
            #expect(try await selectOne(cluster) == 1)

            // The server itself was killed, leaving postmaster.pid behind (and here perhaps a zombie, which a
            // container's first process may never reap).
            let server = try #require(cluster.runningServer)
            #expect(kill(server, SIGKILL) == 0)
            try await waitUntil("the killed server is gone") { cluster.runningServer == nil }
            #expect(FileManager.default.fileExists(atPath: cluster.dataFolder.appending(path: "postmaster.pid").path))
            #expect(try await cluster.startOffThePool() == .restartedAfterUncleanStop)
            #expect(try await selectOne(cluster) == 1)

            // A clean stop leaves nothing to recover.
            cluster.stop()
            #expect(cluster.runningServer == nil)
            #expect(try await cluster.startOffThePool() == .started)
            // Running with no owner recorded (an operator's pg_ctl start): used, and left to whoever started it.
            try FileManager.default.removeItem(at: cluster.ownerFile)
            #expect(try await cluster.startOffThePool() == .alreadyRunning)
        }
    }
}
