import Logging
import PostgresNIO

/// The indexes of the tables `approvals seed` writes, dropped while a whole province loads into empty tables
/// and built once afterwards: maintaining them row by row cost about a third of PostgreSQL's share of the load
/// (BENCHMARKS.md). Each dropped index is recorded in `deferred_indexes` with the statement that builds it again,
/// in the same transaction as its drop, and is built and unrecorded in one transaction, so an interrupted seed
/// leaves a record, never a silently missing index. The keys that foreign keys rely on (users', projects') stay.
/// A primary key or unique rule dropped with its index is checked again, over every loaded row, when it is built.
/// Nothing else may write to a province whose keys are missing: `approvals migrate` (and `serve`, which migrates)
/// builds what an interrupted seed left, and every other command refuses to start until then.
public enum DeferredIndexes {
    /// The names of the indexes and keys dropped and not yet built again.
    public static func pending(in database: Database) async throws -> [String] {
        try await database.read { connection in
            // Largest tables first, so that building sessions finish together rather than one waiting on the events' key.
            try await connection.query("""
                SELECT name FROM deferred_indexes ORDER BY pg_relation_size(on_table::regclass) DESC, name
                """, logger: database.logger).collect()
                .map { try $0.decode(String.self) }
        }
    }

    /// Drops the indexes of `tables` when `projects` is empty; a province that already holds
    /// projects keeps its indexes (rebuilding them for a small addition would cost more than it saves).
    package static func deferIfEmpty(tables: [String], in database: Database) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            let empty = try await connection.query("SELECT NOT EXISTS (SELECT 1 FROM projects)", logger: logger)
                .collect().first!.decode(Bool.self)
            guard empty else { return }
            let rows = try await connection.query("""
                SELECT i.indexrelid::regclass::text, t.oid::regclass::text, c.conname, pg_get_constraintdef(c.oid), pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                JOIN pg_class t ON t.oid = i.indrelid
                LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = t.oid AND c.contype IN ('p', 'u')
                WHERE t.relname = ANY(\(tables)) AND t.relnamespace = 'public'::regnamespace
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
                ORDER BY 1
                """, logger: logger).collect()
            for row in rows {
                let (name, table, constraint, constraintDefinition, indexDefinition) = try row.decode((String, String, String?, String?, String).self)
                let drop: String, build: String
                if let constraint, let constraintDefinition {
                    drop = "ALTER TABLE \(table) DROP CONSTRAINT \(constraint)"
                    build = "ALTER TABLE \(table) ADD CONSTRAINT \(constraint) \(constraintDefinition)"
                } else {
                    drop = "DROP INDEX \(name)"
                    build = indexDefinition
                }
                try await connection.query("INSERT INTO deferred_indexes (name, on_table, definition) VALUES (\(name), \(table), \(build))", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: drop), logger: logger)
            }
            logger.info("deferred \(rows.count) indexes until the load is done")
        }
    }

    /// Builds every deferred index — this run's, or an interrupted run's — on `sessions` connections at once.
    /// Each is built and unrecorded in one transaction, so two processes building at once build each one once.
    public static func build(in database: Database, sessions: Int) async throws {
        let logger = database.logger
        let pending = try await pending(in: database)
        guard !pending.isEmpty else { return }
        // Sessions take the next index from the shared list, so one large index does not leave the other idle.
        let queue = IndexQueue(pending)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, sessions) {
                group.addTask {
                    while let name = await queue.next() {
                        try await database.transaction { connection in
                            let definition = try await connection.query("""
                                DELETE FROM deferred_indexes WHERE name = \(name) RETURNING definition
                                """, logger: logger).collect().first?.decode(String.self)
                            if let definition { try await connection.query(PostgresQuery(unsafeSQL: definition), logger: logger) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        logger.info("built \(pending.count) deferred indexes")
    }

    private actor IndexQueue {
        private var names: [String]
        init(_ names: [String]) { self.names = names.reversed() }
        func next() -> String? { names.popLast() }
    }
}
