import ApprovalStore
import Foundation
import Logging
import PostgresNIO

/// Finds or starts the database the way users expect: `DATABASE_URL` when set (nothing is started), otherwise
/// the private cluster in `.postgres/` of the working folder (for root, under /var/tmp when the postgres user
/// cannot enter that folder), created on first use and kept between runs.
public struct DatabaseBootstrap: Sendable {
    public let location: DatabaseLocation
    public let embedded: EmbeddedPostgres?
    /// This process owns the private cluster (started it, or took it over from a process that died), so it stops
    /// it when done.
    public let startedHere: Bool

    public static let applicationDatabase = "approvals"

    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment,
                               folder: URL = URL(filePath: FileManager.default.currentDirectoryPath).appending(path: ".postgres"),
                               logger: Logger) async throws -> DatabaseBootstrap {
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            let location = try DatabaseLocation(url: url)
            logger.info("database: DATABASE_URL \(location); nothing started")
            return DatabaseBootstrap(location: location, embedded: nil, startedHere: false)
        }
        let embedded = try EmbeddedPostgres(folder: folder)
        let outcome = try await embedded.startOffThePool()
        let location = embedded.location.with(database: applicationDatabase)
        try await Database.createIfMissing(applicationDatabase, server: embedded.location, logger: logger)
        // One line says where the cluster is (outside the project when the postgres user cannot enter it) and
        // what a crash left there; the crash cases stand out.
        let level: Logger.Level = outcome == .restartedAfterUncleanStop || outcome == .tookOverLeftRunning ? .notice : .info
        logger.log(level: level, "database: no DATABASE_URL, so a \(embedded.describe(outcome)); data kept between runs; database '\(applicationDatabase)'")
        return DatabaseBootstrap(location: location, embedded: embedded, startedHere: outcome.ownedHere)
    }
}
