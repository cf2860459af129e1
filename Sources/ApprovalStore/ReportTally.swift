import Logging
import PostgresNIO

/// The tallies the department and throughput reports read (Migrations/0012): triggers append changes with
/// every write; these fold them in, or recount them after a bulk load that bypassed the triggers.
public enum ReportTally {
    /// Folds the appended changes into one row per key, so a report reads a number of rows that grows with the
    /// keys, not with the days since. Safe to run from any number of processes at once.
    public static func compact(in database: Database) async throws {
        try await database.transaction { connection in
            _ = try await connection.query("SELECT compact_report_tallies()", logger: database.logger)
        }
    }

    /// Recounts both tallies from the rows, holding off writers meanwhile.
    public static func rebuild(in database: Database) async throws {
        try await database.transaction { connection in
            _ = try await connection.query("SELECT rebuild_report_tallies()", logger: database.logger)
        }
    }
}
