import Foundation
import Logging
import PostgresNIO

/// The sweeper's work queue: projects whose `next_due_at` has passed.
public enum DeadlineQueue {
    /// The actor of time-driven events (Migrations/0002).
    public static let engineUserID: Int64 = 0

    /// Claims up to `limit` due projects in one statement, oldest due first. `FOR UPDATE SKIP LOCKED` makes
    /// concurrent sweepers take disjoint projects and pass over a project a person is changing right now (it
    /// is picked up by the next sweep); the row locks last until the caller's transaction ends, and the cleared
    /// `next_due_at` is written back by the caller's save, so a crash before commit leaves the work in place.
    public static func claim(now: Date, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [ProjectRecord] {
        try await connection.query("""
            UPDATE projects SET next_due_at = NULL
            WHERE id IN (SELECT id FROM projects WHERE next_due_at <= \(now)
                         ORDER BY next_due_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: ProjectRepository.columns)
            """, logger: logger).collect().map(ProjectRepository.decode)
    }

    /// The oldest due instant not yet processed, for the sweeper-lag metric.
    public static func oldestDue(on connection: PostgresConnection, logger: Logger) async throws -> Date? {
        try await connection.query("SELECT min(next_due_at) FROM projects WHERE next_due_at IS NOT NULL", logger: logger)
            .collect().first?.decode(Date?.self)
    }
}

extension DeadlineQueue {
    /// Makes every project with a provisional deadline on an open item due now, so the sweeper re-computes
    /// its deadlines with the calendar just loaded (a newer year may move them). Returns how many.
    @discardableResult
    public static func revisitProvisionalDeadlines(now: Date, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("""
            UPDATE projects SET next_due_at = \(now)
            WHERE id IN (SELECT DISTINCT project_id FROM items WHERE deadline_provisional AND state IN ('accepted', 'suspended'))
              AND (next_due_at IS NULL OR next_due_at > \(now))
            RETURNING id
            """, logger: logger).collect().count
    }
}
