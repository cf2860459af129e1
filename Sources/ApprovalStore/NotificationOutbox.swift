import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The notification outbox: rows written in the transaction of the event that causes them, so a
/// notification exists exactly when its event does, and fanned out at once to the recipients' webhooks.
public enum NotificationOutbox {
    /// An event that notifies someone, with what its recipients are found by; the rows are written later, with
    /// the event (`PendingEvents.write`).
    struct Notice: Sendable {
        let audiences: [Audience]
        let investorOrganisation: String
        let agentID: Int64?
        /// Staff whose region covers the project's: its own region, the regions above it, and the whole country
        /// (Jurisdiction.covers), so the lookup is an index probe rather than a pattern per staff row.
        let covering: [String]
        let leadDepartment: String?
        let projectID: Int64
        let itemID: String?
        let actorID: Int64
        let seq: Int
        let kind: String
        let title: String
        let body: String
        let at: Date

        /// Nil when no one hears about events of this kind.
        init?(_ event: NewEvent, seq: Int, of record: ProjectRecord) {
            guard let (audiences, title) = Notification.rule(kind: event.kind, payload: event.payload) else { return nil }
            // ISO8601FormatStyle, not ISO8601DateFormatter: building a formatter per event was 6% of an item action.
            var body: [String: JSONValue] = [
                "kind": .string(event.kind.text), "title": .string(title), "at": .string(event.at.formatted(.iso8601)),
                "on": .string(event.on.description), "event": .object(event.payload),
                "project": .object(["code": .string(record.code), "name": .string(record.name)]),
            ]
            if let item = event.itemID { body["item"] = .string(item) }
            self.audiences = audiences
            self.investorOrganisation = record.investorOrganisation
            self.agentID = record.agentID
            self.covering = Jurisdiction(record.region)?.coveredBy ?? [record.region]
            self.leadDepartment = event.payload["leadDepartment"]?.stringValue
            self.projectID = record.id
            self.itemID = event.itemID
            self.actorID = event.actorID
            self.seq = seq
            self.kind = event.kind.text
            self.title = title
            self.body = JSONValue.object(body).canonicalText
            self.at = event.at
        }
    }

    /// Writes one notification per recipient of each notice, and one pending webhook delivery per active
    /// subscription of each recipient, in one statement. The actor is not told about their own action.
    static func write(_ notices: [Notice], on connection: PostgresConnection, logger: Logger) async throws {
        guard !notices.isEmpty else { return }
        for try await _ in try await connection.execute(Recipients(notices), logger: logger) {}
    }

    /// Every change runs this, so it is prepared once per connection: planning it cost PostgreSQL 1.5 ms per
    /// event, a fifth of its share of an item action (pg_stat_statements, BENCHMARKS.md). Its parameters are
    /// arrays with one element per notice, so one execution serves one event or a sweeper's batch. A notice's
    /// own lists (audiences, covering regions) travel as comma-separated text, since PostgreSQL arrays of
    /// arrays must be rectangular; neither audiences nor region codes contain commas.
    struct Recipients: PostgresPreparedStatement {
        // Candidates come from three indexed lookups per notice (the organisation's users, the agent, the region's
        // staff), never a scan of every user: a province has hundreds of thousands of investors. Each candidate row
        // carries its notice, and its audiences are unnested beside it, so the statement stays linear in the
        // notices whatever plan PostgreSQL keeps for it (a join of candidates back to notices and audiences was
        // quadratic under the generic plan: 0.66 s for a sweeper batch of 360 notices). Missing values travel as
        // '' or -1 (arrays here hold no NULLs). The first array is read through a subquery so that PostgreSQL
        // estimates the notices' number alike with and without the values; otherwise each one-notice execution's
        // plan looked cheaper than the generic one, and the statement was planned anew every time (1.35 ms).
        static let sql = """
            WITH notice AS MATERIALIZED (
                SELECT n.*, (SELECT department FROM items WHERE project_id = n.project_id AND item_id = NULLIF(n.item_id, ''))
                                AS item_department
                FROM unnest((SELECT $1::text[]), $2::text[], $3::int8[], $4::text[], $5::text[], $6::int8[], $7::text[], $8::int8[],
                            $9::int8[], $10::text[], $11::text[], $12::text[], $13::timestamptz[]) WITH ORDINALITY
                    AS n(audiences, organisation, agent_id, covering, lead_department, project_id, item_id, actor_id, seq, kind,
                         title, body, at, n)
            ), candidate AS (
                SELECT n.*, u.id AS user_id, u.role, u.department, u.active
                FROM notice n JOIN users u ON u.role = 'investor' AND u.organisation = n.organisation
                UNION ALL
                SELECT n.*, u.id, u.role, u.department, u.active
                FROM notice n JOIN users u ON u.id = n.agent_id AND u.role = 'agent'
                UNION ALL
                SELECT n.*, u.id, u.role, u.department, u.active
                FROM notice n JOIN users u ON u.role IN ('reviewer', 'leader', 'coordinator')
                                          AND u.region = ANY (string_to_array(n.covering, ','))
                                          -- Of the reviewers, only the two departments a notice can name.
                                          AND (u.role <> 'reviewer' OR u.department IN (n.item_department, n.lead_department))
            ), recipient AS (
                SELECT DISTINCT ON (c.n, c.user_id) c.n, c.user_id, a.audience, c.project_id, c.seq, c.kind,
                       NULLIF(c.item_id, '') AS item_id, c.title, c.body, c.at
                FROM candidate c
                CROSS JOIN LATERAL unnest(string_to_array(c.audiences, ',')) WITH ORDINALITY AS a(audience, rank)
                WHERE c.active AND c.user_id <> c.actor_id AND (
                       (a.audience = 'investor' AND c.role = 'investor')
                    OR (a.audience = 'agent' AND c.role = 'agent')
                    OR (a.audience = c.role AND c.role IN ('leader', 'coordinator'))
                    OR (a.audience = 'lead_department' AND c.role = 'reviewer' AND c.department = NULLIF(c.lead_department, ''))
                    OR (a.audience = 'department' AND c.role = 'reviewer' AND c.department = c.item_department))
                ORDER BY c.n, c.user_id, a.rank
            ), notification AS (
                INSERT INTO notifications (user_id, project_id, event_seq, kind, item_id, audience, title, details, at)
                SELECT user_id, project_id, seq, kind, item_id, audience, title, body::jsonb || jsonb_build_object('audience', audience), at
                FROM recipient
                RETURNING id, user_id
            )
            INSERT INTO webhook_deliveries (subscription_id, notification_id)
            SELECT s.id, notification.id FROM notification JOIN webhook_subscriptions s ON s.user_id = notification.user_id AND s.active
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .textArray, .textArray, .int8Array, .textArray, .textArray, .int8Array, .textArray, .int8Array, .int8Array, .textArray,
            .textArray, .textArray, .timestamptzArray,
        ]
        let notices: [Notice]

        init(_ notices: [Notice]) { self.notices = notices }

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 13)
            bindings.append(notices.map { $0.audiences.map(\.rawValue).joined(separator: ",") })
            bindings.append(notices.map(\.investorOrganisation))
            bindings.append(notices.map { $0.agentID ?? -1 })
            bindings.append(notices.map { $0.covering.joined(separator: ",") })
            bindings.append(notices.map { $0.leadDepartment ?? "" })
            bindings.append(notices.map(\.projectID))
            bindings.append(notices.map { $0.itemID ?? "" })
            bindings.append(notices.map(\.actorID))
            bindings.append(notices.map { Int64($0.seq) })
            bindings.append(notices.map(\.kind))
            bindings.append(notices.map(\.title))
            bindings.append(notices.map(\.body))
            bindings.append(notices.map(\.at))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}

/// A user's notifications (their inbox), newest first.
public struct StoredNotification: Sendable, Hashable {
    public let id: Int64
    public let body: JSONValue
}

extension NotificationOutbox {
    public static func inbox(userID: Int64, before: Int64?, limit: Int, on connection: PostgresConnection,
                             logger: Logger) async throws -> [StoredNotification] {
        try await connection.query("""
            SELECT id, details || jsonb_build_object('id', id) FROM notifications
            WHERE user_id = \(userID) AND (\(before)::bigint IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger).collect().map { row in
            let (id, body) = try row.decode((Int64, JSONValue).self)
            return StoredNotification(id: id, body: body)
        }
    }
}
