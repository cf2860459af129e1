import ApprovalStore
import Foundation
import Logging
import PostgresNIO

/// A primary and a hot standby streaming from it, both private clusters of their own (so pausing the standby's
/// replay disturbs no other test), with the application's database migrated on the primary.
public enum StreamingReplica {
    public struct Pair: Sendable {
        /// The migrated application database on the primary, and the same database on the standby.
        public let primary: DatabaseLocation
        public let standby: DatabaseLocation
        /// The standby's server as its superuser, to pause and resume its replay.
        public let standbyServer: DatabaseLocation
        let standbyCluster: EmbeddedPostgres

        /// Stops the standby, as when its machine goes away.
        public func stopStandby() { standbyCluster.stop() }
    }

    public static func with<Result: Sendable>(projectRoot: URL, _ body: (Pair) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "approvals-tests")
        logger.logLevel = .warning
        let settings = ["fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"]
        let primary = try EmbeddedPostgres(folder: projectRoot.appending(path: ".postgres-replica-primary"), settings: settings)
        let standby = try EmbeddedPostgres(folder: projectRoot.appending(path: ".postgres-replica-standby"), settings: settings,
                                           standbyOf: primary.location)
        // Each run starts from nothing: a standby copied from an earlier primary could not follow this one.
        for cluster in [standby, primary] {
            if cluster.runningServer != nil { cluster.stop() }
            try? FileManager.default.removeItem(at: cluster.dataFolder)
        }
        defer {
            standby.stop()
            primary.stop()
        }
        _ = try await primary.startOffThePool()
        let name = "approvals"
        try await Database.createIfMissing(name, server: primary.location, logger: logger)
        let migrations = try Migration.load(from: projectRoot.appending(path: "Migrations"))
        try await Database.withClient(primary.location.with(database: name), logger: logger) { database in
            _ = try await MigrationRunner(migrations: migrations, logger: logger).migrate(database.client)
        }
        _ = try await standby.startOffThePool()
        return try await body(Pair(primary: primary.location.with(database: name), standby: standby.location.with(database: name),
                                   standbyServer: standby.location, standbyCluster: standby))
    }
}
