import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// A user's webhook endpoint. The secret is never read back out through here: only the deliverer signs with it.
public struct WebhookSubscription: Sendable, Hashable {
    public let id: Int64
    public let userID: Int64
    public let url: String
    public let active: Bool
    public let createdAt: Date
}

/// One delivery of one notification to one subscription, as the API shows it.
public struct WebhookDelivery: Sendable, Hashable {
    public enum State: String, Sendable, CaseIterable { case pending, delivered, dead }

    public let id: Int64
    public let subscriptionID: Int64
    public let notificationID: Int64
    public let kind: String
    public let projectCode: String
    public let state: State
    public let attempts: Int
    public let nextAttemptAt: Date?
    public let lastAttemptAt: Date?
    public let lastStatus: Int?
    public let lastError: String?
    public let deliveredAt: Date?
}

/// A delivery claimed for sending: where to, the secret to sign with, and the body.
public struct ClaimedDelivery: Sendable {
    public let id: Int64
    public let attempt: Int
    public let url: String
    public let secret: String
    public let kind: String
    public let body: Data
}

/// Webhook subscriptions and the delivery queue.
public enum WebhookRepository {
    public static func subscribe(userID: Int64, url: String, secret: String, on connection: PostgresConnection,
                                 logger: Logger) async throws -> WebhookSubscription {
        try await connection.query("""
            INSERT INTO webhook_subscriptions (user_id, url, secret) VALUES (\(userID), \(url), \(secret))
            RETURNING id, user_id, url, active, created_at
            """, logger: logger).collect().map(decodeSubscription).first!
    }

    /// The user's active subscriptions, holding their row so that concurrent subscriptions of the same user count
    /// one after the other (the per-user limit holds however many requests arrive at once). NO KEY UPDATE, which
    /// the key share an idempotency key's reference to the user takes does not wait for (FOR UPDATE would
    /// deadlock two such requests).
    public static func subscriptionsForUpdate(userID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [WebhookSubscription] {
        try await connection.query("SELECT 1 FROM users WHERE id = \(userID) FOR NO KEY UPDATE", logger: logger).collect()
        return try await subscriptions(userID: userID, on: connection, logger: logger)
    }

    /// Active subscriptions: the user's own, or everyone's when `userID` is nil (admins).
    public static func subscriptions(userID: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> [WebhookSubscription] {
        try await connection.query("""
            SELECT id, user_id, url, active, created_at FROM webhook_subscriptions
            WHERE active AND (\(userID)::bigint IS NULL OR user_id = \(userID)) ORDER BY id
            """, logger: logger).collect().map(decodeSubscription)
    }

    public static func subscription(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> WebhookSubscription? {
        try await connection.query("SELECT id, user_id, url, active, created_at FROM webhook_subscriptions WHERE id = \(id)",
                                   logger: logger).collect().map(decodeSubscription).first
    }

    /// Stops deliveries to the subscription; its pending deliveries are dead-lettered with the reason, so
    /// they stay visible and can be re-driven if it was a mistake.
    public static func unsubscribe(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE webhook_subscriptions SET active = false WHERE id = \(id)", logger: logger)
        try await connection.query("""
            UPDATE webhook_deliveries SET state = 'dead', last_error = 'subscription removed'
            WHERE subscription_id = \(id) AND state = 'pending'
            """, logger: logger)
    }

    static func decodeSubscription(_ row: PostgresRow) throws -> WebhookSubscription {
        let (id, userID, url, active, createdAt) = try row.decode((Int64, Int64, String, Bool, Date).self)
        return WebhookSubscription(id: id, userID: userID, url: url, active: active, createdAt: createdAt)
    }

    /// Claims up to `limit` due deliveries in one statement. The claim counts the attempt and pushes the next
    /// attempt past `lease`: a deliverer that dies mid-request leaves the delivery to be retried after the lease,
    /// and `FOR UPDATE SKIP LOCKED` keeps concurrent deliverers on disjoint rows.
    public static func claimDue(limit: Int, lease: Duration, on connection: PostgresConnection,
                                logger: Logger) async throws -> [ClaimedDelivery] {
        let rows = try await connection.query("""
            UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => \(lease.seconds))
            FROM webhook_subscriptions s, notifications n
            WHERE d.id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= now()
                           ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
              AND s.id = d.subscription_id AND n.id = d.notification_id
            RETURNING d.id, d.attempts, s.url, s.secret, n.kind, n.details || jsonb_build_object('id', n.id)
            """, logger: logger).collect()
        return try rows.map { row in
            let (id, attempt, url, secret, kind, body) = try row.decode((Int64, Int, String, String, String, JSONValue).self)
            return ClaimedDelivery(id: id, attempt: attempt, url: url, secret: secret, kind: kind, body: Data(body.canonicalText.utf8))
        }
    }

    /// Records a success.
    public static func markDelivered(_ id: Int64, status: Int, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), last_status = \(status), last_error = NULL
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Records a failure: retried after `retryAfter`, or dead-lettered when that was the last attempt allowed.
    /// Returns whether it is now dead.
    @discardableResult
    public static func markFailed(_ id: Int64, status: Int?, error: String, retryAfter: Duration, maxAttempts: Int,
                                  on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("""
            UPDATE webhook_deliveries
            SET state = CASE WHEN attempts >= \(maxAttempts) THEN 'dead' ELSE 'pending' END,
                next_attempt_at = now() + make_interval(secs => \(retryAfter.seconds)),
                last_status = \(status), last_error = \(String(error.prefix(500)))
            WHERE id = \(id)
            RETURNING state = 'dead'
            """, logger: logger).collect().first?.decode(Bool.self) ?? false
    }

    static let deliveryColumns = """
        d.id, d.subscription_id, d.notification_id, n.kind, p.code, d.state, d.attempts,
        CASE WHEN d.state = 'pending' THEN d.next_attempt_at END, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at
        """

    static func decodeDelivery(_ row: PostgresRow) throws -> WebhookDelivery {
        let (id, subscriptionID, notificationID, kind, code, state, attempts, next, last, status, error, delivered) =
            try row.decode((Int64, Int64, Int64, String, String, String, Int, Date?, Date?, Int?, String?, Date?).self)
        return WebhookDelivery(id: id, subscriptionID: subscriptionID, notificationID: notificationID, kind: kind, projectCode: code,
                               state: WebhookDelivery.State(rawValue: state)!, attempts: attempts, nextAttemptAt: next,
                               lastAttemptAt: last, lastStatus: status, lastError: error, deliveredAt: delivered)
    }

    /// The subscription's deliveries, newest first, optionally in one state.
    public static func deliveries(subscriptionID: Int64, state: WebhookDelivery.State?, limit: Int,
                                  on connection: PostgresConnection, logger: Logger) async throws -> [WebhookDelivery] {
        try await connection.query("""
            SELECT \(unescaped: deliveryColumns)
            FROM webhook_deliveries d JOIN notifications n ON n.id = d.notification_id JOIN projects p ON p.id = n.project_id
            WHERE d.subscription_id = \(subscriptionID) AND (\(state?.rawValue)::text IS NULL OR d.state = \(state?.rawValue))
            ORDER BY d.id DESC LIMIT \(limit)
            """, logger: logger).collect().map(decodeDelivery)
    }

    /// Marks the subscription re-driven now, unless it was within `interval` seconds: then the seconds left.
    public static func claimRedrive(subscriptionID: Int64, interval: Double, on connection: PostgresConnection,
                                    logger: Logger) async throws -> Double? {
        let claimed = try await connection.query("""
            UPDATE webhook_subscriptions SET redriven_at = now()
            WHERE id = \(subscriptionID) AND (redriven_at IS NULL OR redriven_at <= now() - make_interval(secs => \(interval)))
            RETURNING id
            """, logger: logger).collect()
        guard claimed.isEmpty else { return nil }
        return try await connection.query("""
            SELECT extract(epoch FROM redriven_at + make_interval(secs => \(interval)) - now())::float8
            FROM webhook_subscriptions WHERE id = \(subscriptionID)
            """, logger: logger).collect().first?.decode(Double.self)
    }

    /// Sends dead (or already delivered) deliveries again: pending now, with a fresh count of attempts.
    /// `ids` nil means every dead delivery of the subscription. Returns the ids re-driven.
    public static func redrive(subscriptionID: Int64, ids: [Int64]?, on connection: PostgresConnection,
                               logger: Logger) async throws -> [Int64] {
        try await connection.query("""
            UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now()
            WHERE subscription_id = \(subscriptionID)
              AND (\(ids)::bigint[] IS NULL AND state = 'dead' OR id = ANY(\(ids ?? [])) AND state <> 'pending')
            RETURNING id
            """, logger: logger).collect().map { try $0.decode(Int64.self) }
    }

    /// The backlog for metrics: pending deliveries, and how long the oldest due one has waited.
    public static func backlog(on connection: PostgresConnection, logger: Logger) async throws -> (pending: Int, oldestDueSeconds: Double) {
        let row = try await connection.query("""
            SELECT count(*)::int, coalesce(extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())), 0)::float8
            FROM webhook_deliveries WHERE state = 'pending'
            """, logger: logger).collect().first!
        return try row.decode((Int, Double).self)
    }
}

extension Duration {
    /// Whole and fractional seconds, for SQL intervals.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
