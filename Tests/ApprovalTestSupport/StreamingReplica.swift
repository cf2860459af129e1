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
        public func stopStandby() async { await standbyCluster.stopOffThePool() }
    }

    public static func with<Result: Sendable>(projectRoot: URL, _ body: (Pair) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "approvals-tests")
        logger.logLevel = .warning
        let primary = try EmbeddedPostgres(folder: projectRoot.appending(path: ".postgres-replica-primary"), settings: PrivateCluster.settings)
        let standby = try EmbeddedPostgres(folder: projectRoot.appending(path: ".postgres-replica-standby"), settings: PrivateCluster.settings,
                                           standbyOf: primary.location)
        // Each run starts from nothing: a standby copied from an earlier primary could not follow this one.
        PrivateCluster.wipe(standby)
        defer {
            standby.stop()
            primary.stop()
        }
        let location = try await PrivateCluster.startMigrated(primary, projectRoot: projectRoot, logger: logger)
        _ = try await standby.startOffThePool()
        return try await body(Pair(primary: location, standby: standby.location.with(database: location.database),
                                   standbyServer: standby.location, standbyCluster: standby))
    }
}
