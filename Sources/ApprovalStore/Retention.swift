import Logging
import PostgresNIO

/// Pruning by age: stored idempotent answers (a client retries within minutes, not weeks) and notifications
/// whose webhook deliveries are settled. In batches, so no run holds locks for long; the sweepers run it.
public enum Retention {
    /// Deletes up to `batch` idempotency keys older than `idempotencyAge` seconds and up to `batch` notifications
    /// older than `notificationAge` seconds with no delivery still pending (their deliveries go with them).
    /// Returns how many of each went; a full batch means more are due.
    public static func prune(idempotencyAge: Double, notificationAge: Double, batch: Int, on connection: PostgresConnection,
                             logger: Logger) async throws -> (idempotencyKeys: Int, notifications: Int) {
        let keys = try await connection.query("""
            WITH gone AS (
                DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => \(idempotencyAge)) LIMIT \(batch)))
                RETURNING 1)
            SELECT count(*)::int FROM gone
            """, logger: logger).collect().first?.decode(Int.self) ?? 0
        let notifications = try await connection.query("""
            WITH old AS (
                SELECT id FROM notifications n
                WHERE at < now() - make_interval(secs => \(notificationAge))
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.notification_id = n.id AND d.state = 'pending')
                LIMIT \(batch)),
            deliveries AS (DELETE FROM webhook_deliveries d USING old WHERE d.notification_id = old.id),
            gone AS (DELETE FROM notifications n USING old WHERE n.id = old.id RETURNING 1)
            SELECT count(*)::int FROM gone
            """, logger: logger).collect().first?.decode(Int.self) ?? 0
        return (keys, notifications)
    }
}
