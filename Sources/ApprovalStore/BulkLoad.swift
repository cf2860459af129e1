import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Loading many rows at once, for `approvals seed`: COPY in PostgreSQL's text format, ids reserved up front, and
/// the statistics refreshed after.
public enum BulkLoad {
    /// The rows of one table in COPY's text format (tab-separated, `\N` for NULL, one row a line).
    public struct Rows: Sendable {
        public let table: String
        public let columns: [String]
        public let bytes: [UInt8]

        public init(table: String, columns: [String], bytes: [UInt8]) {
            self.table = table
            self.columns = columns
            self.bytes = bytes
        }
    }

    /// Loads the tables in order in one transaction, without checking foreign keys row by row: the caller
    /// guarantees every reference (checking 50 million of them one row at a time would take most of the load).
    /// Needs a superuser, as the embedded cluster is.
    public static func copy(_ tables: [Rows], in database: Database) async throws {
        try await database.transaction { connection in
            try await connection.query("SET LOCAL session_replication_role = replica", logger: database.logger)
            for rows in tables where !rows.bytes.isEmpty {
                try await connection.copyFrom(table: rows.table, columns: rows.columns, logger: database.logger) { writer in
                    try await writer.write(ByteBuffer(bytes: rows.bytes))
                }
            }
        }
    }

    /// Takes `count` ids of `table`'s id sequence at once and answers the first: rows written with explicit ids
    /// in these never meet ids the sequence hands out later.
    public static func reserveIDs(_ table: String, count: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let last = try await connection.query("""
            SELECT setval(pg_get_serial_sequence(\(table), 'id'), nextval(pg_get_serial_sequence(\(table), 'id')) + \(count) - 1)
            """, logger: logger).collect().first!.decode(Int64.self)
        return last - count + 1
    }

    /// Statistics for the planner after a load changed every table's size.
    public static func analyze(in database: Database) async throws {
        try await database.read { connection in
            _ = try await connection.query("ANALYZE", logger: database.logger)
        }
    }
}
