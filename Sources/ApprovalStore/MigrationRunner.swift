import Crypto
import Foundation
import Logging
import PostgresNIO

/// One `Migrations/NNNN_name.sql` file.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file, recorded when applied, so an edited file is noticed.
    public var checksum: String { SHA256.hash(data: Data(sql.utf8)).hexString }
    public var fileName: String { String(format: "%04d_%@.sql", version, name) }

    /// Reads every migration of a folder, in order; a file that does not follow the naming rule is an error,
    /// not something silently skipped.
    public static func load(from folder: URL) throws(MigrationError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        } catch {
            throw MigrationError(message: "cannot read the migrations folder \(folder.path): set --migrations or run from the project folder")
        }
        var migrations: [Migration] = []
        for file in names {
            let parts = file.dropLast(4).split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]),
                  parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw MigrationError(message: "\(folder.path)/\(file): a migration is named NNNN_name.sql (e.g. 0002_sweeper.sql)")
            }
            if let previous = migrations.last, previous.version == version {
                throw MigrationError(message: "\(file) and \(previous.fileName) share the version \(version)")
            }
            guard let sql = try? String(contentsOf: folder.appending(path: file), encoding: .utf8) else {
                throw MigrationError(message: "cannot read \(folder.path)/\(file) as UTF-8")
            }
            migrations.append(Migration(version: version, name: String(parts[1]), sql: sql))
        }
        return migrations
    }
}

public struct MigrationError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Applies migrations in order, each in its own transaction, recorded in `schema_migrations`. Runs under a
/// session advisory lock, so replicas starting together apply each migration once and the others wait.
public struct MigrationRunner: Sendable {
    /// Arbitrary but fixed: the advisory lock key of this application's migrations.
    static let lockKey: Int64 = 0x6170_7072_6F76_616C
    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    public enum Status: Sendable, Equatable {
        case current
        case pending([String])
        /// Every migration of these files is applied, and these newer ones too: a newer release migrated the
        /// database while this one still runs (a rolling upgrade: migrations first, then the replicas one by one).
        case ahead([String])
    }

    /// Applies what is pending; refuses, changing nothing, when what was applied differs from the files.
    /// Returns the file names applied now.
    @discardableResult
    public func migrate(_ client: PostgresClient) async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await migrateLocked(connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// Whether the database matches the files, without changing it; drift is an error.
    public func status(_ database: Database) async throws -> Status {
        try await database.read { connection in
            let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
                .collect().first?.decode(Bool.self) ?? false
            guard exists else { return .pending(migrations.map(\.fileName)) }
            let (pending, ahead) = try checkDrift(try await appliedRows(connection))
            if !pending.isEmpty { return .pending(pending.map(\.fileName)) }
            return ahead.isEmpty ? .current : .ahead(ahead)
        }
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        let (pending, _) = try checkDrift(try await appliedRows(connection))
        for migration in pending {
            do {
                try await connection.inTransaction(logger: logger) {
                    for statement in SQLStatements.split(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("""
                        INSERT INTO schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """, logger: logger)
                }
                logger.info("applied migration \(migration.fileName)")
            } catch {
                throw MigrationError(message: "migration \(migration.fileName) failed and was rolled back: \(LoggedError.describe(error))")
            }
        }
        return pending.map(\.fileName)
    }

    private func appliedRows(_ connection: PostgresConnection) async throws -> [(Int, String, String)] {
        var rows: [(Int, String, String)] = []
        for try await row in try await connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version", logger: logger)
            .decode((Int, String, String).self) {
            rows.append(row)
        }
        return rows
    }

    /// The migrations not yet applied, after checking that every applied one still has its file, unchanged.
    /// What is pending, and the applied migrations newer than every file (a newer release's); throws on drift.
    private func checkDrift(_ applied: [(Int, String, String)]) throws(MigrationError) -> (pending: [Migration], ahead: [String]) {
        let files = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        let newestFile = migrations.map(\.version).max() ?? 0
        var problems: [String] = []
        var ahead: [String] = []
        for (version, name, checksum) in applied.sorted(by: { $0.0 < $1.0 }) {
            let recorded = String(format: "%04d_%@.sql", version, name)
            guard let file = files[version] else {
                if version > newestFile {
                    ahead.append(recorded)
                } else {
                    problems.append("\(recorded) was applied to the database but is missing from the migrations folder")
                }
                continue
            }
            if file.name != name {
                problems.append("\(recorded) was applied, but the folder now has \(file.fileName) as version \(version)")
            } else if file.checksum != checksum {
                problems.append("\(recorded) was edited after it was applied (checksum \(checksum.prefix(12))… in the database, \(file.checksum.prefix(12))… on disk); add a new migration instead")
            }
        }
        let latestApplied = applied.map(\.0).max() ?? 0
        let pending = migrations.filter { migration in !applied.contains { $0.0 == migration.version } }
        for migration in pending where migration.version < latestApplied {
            problems.append("\(migration.fileName) is older than the latest applied migration but was never applied")
        }
        guard problems.isEmpty else {
            throw MigrationError(message: "the database's migrations have drifted from the files; refusing to start:\n  " + problems.joined(separator: "\n  "))
        }
        return (pending, ahead)
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
