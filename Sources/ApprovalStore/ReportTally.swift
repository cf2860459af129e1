import Logging
import PostgresNIO

/// The tallies the department and throughput reports (Migrations/0012) and the forecast from history (0022) read: triggers append changes with
/// every write; these fold them in, or recount them after a bulk load that bypassed the triggers.
public enum ReportTally {
    /// Folds the appended changes into one row per key, so a report reads a number of rows that grows with the
    /// keys, not with the days since. Safe to run from any number of processes at once.
    public static func compact(in database: Database) async throws {
        try await database.transaction { connection in
            _ = try await connection.query("SELECT compact_report_tallies(), compact_department_pace()", logger: database.logger)
        }
    }

    /// Recounts the tallies from the rows, holding off writers meanwhile.
    public static func rebuild(in database: Database) async throws {
        try await database.transaction { connection in
            _ = try await connection.query("SELECT rebuild_report_tallies(), rebuild_department_pace()", logger: database.logger)
        }
    }

    /// Items of every project by state, from the department tally (its changes summed, so compaction does not
    /// change the figure). Items that do not apply or were exempted are not tallied.
    public static func itemsByState(on connection: PostgresConnection, logger: Logger) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for try await (state, count) in try await connection.query("SELECT state, sum(items)::int FROM department_tally WHERE state IS NOT NULL GROUP BY state",
                                                                  logger: logger).decode((String, Int).self) {
            counts[state] = count
        }
        return counts
    }
}
