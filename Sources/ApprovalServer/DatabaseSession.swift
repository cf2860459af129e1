import ApprovalStore
import Foundation
import Logging
import PostgresNIO

/// Opens the application's database (resolving DATABASE_URL or the private cluster), keeps a pool running
/// for `body`,, then stops the private cluster if it
/// started it (its data stays for the next run).
public enum DatabaseSession {
    public static func with<Result: Sendable>(logger: Logger, maximumConnections: Int = 20, connectionWait: Duration = .seconds(5),
                                              _ body: (Database, DatabaseBootstrap) async throws -> Result) async throws -> Result {
        let bootstrap = try await DatabaseBootstrap.resolve(logger: logger)
        defer {
            if bootstrap.startedHere, let embedded = bootstrap.embedded {
                embedded.stop()
                logger.info("database: stopped the private PostgreSQL cluster")
            }
        }
        return try await Database.withClient(bootstrap.location, maximumConnections: maximumConnections, connectionWait: connectionWait, logger: logger) {
            try await body($0, bootstrap)
        }
    }

    /// Applies pending migrations and builds the indexes an interrupted `approvals seed` left deferred, or with
    /// `apply: false` only checks that neither is pending. Drift is refused either way.
    public static func prepareSchema(_ database: Database, migrationsFolder: URL, apply: Bool) async throws {
        let runner = MigrationRunner(migrations: try Migration.load(from: migrationsFolder), logger: database.logger)
        if apply {
            let applied = try await runner.migrate(database.client)
            database.logger.info("migrations: \(applied.isEmpty ? "up to date" : "applied \(applied.joined(separator: ", "))") (\(runner.migrations.count) in \(migrationsFolder.path))")
            let deferred = try await DeferredIndexes.pending(in: database)
            if !deferred.isEmpty {
                database.logger.warning("building \(deferred.count) indexes and keys an interrupted `approvals seed` left deferred")
                try await DeferredIndexes.build(in: database, sessions: 2)
            }
        } else if case let .pending(files) = try await runner.status(database) {
            throw MigrationError(message: "the database lacks migrations \(files.joined(separator: ", ")); run `approvals migrate` or start without --no-migrate")
        } else if case let deferred = try await DeferredIndexes.pending(in: database), !deferred.isEmpty {
            // Without them the audit chain's and the items' keys go unchecked: a write now could duplicate a row.
            let names = deferred.prefix(3).joined(separator: ", ") + (deferred.count > 3 ? ", …" : "")
            throw MigrationError(message: "the database lacks \(deferred.count) indexes and keys an interrupted `approvals seed` left deferred (\(names)); run `approvals migrate` to build them")
        }
    }
}
