import ApprovalStore
import Foundation
import Logging

/// A PostgreSQL cluster of a test's own, for what the shared test cluster must not suffer (a restart, a standby).
public enum PrivateCluster {
    /// Settings for speed over durability: these clusters live for one test.
    public static let settings = ["fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"]

    /// Starts `cluster` from nothing (whatever an earlier run left is removed) and returns its application
    /// database, migrated.
    public static func startMigrated(_ cluster: EmbeddedPostgres, projectRoot: URL, logger: Logger) async throws -> DatabaseLocation {
        wipe(cluster)
        _ = try await cluster.startOffThePool()
        let location = cluster.location.with(database: "approvals")
        try await Database.createIfMissing(location.database, server: cluster.location, logger: logger)
        let migrations = try Migration.load(from: projectRoot.appending(path: "Migrations"))
        try await Database.withClient(location, logger: logger) { database in
            _ = try await MigrationRunner(migrations: migrations, logger: logger).migrate(database.client)
        }
        return location
    }

    /// Stops the cluster if it runs and removes its data.
    public static func wipe(_ cluster: EmbeddedPostgres) {
        if cluster.runningServer != nil { cluster.stop() }
        try? FileManager.default.removeItem(at: cluster.dataFolder)
    }
}
