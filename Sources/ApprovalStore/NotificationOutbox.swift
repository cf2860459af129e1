import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The notification outbox: rows written in the transaction of the event that causes them, so a
/// notification exists exactly when its event does, and fanned out at once to the recipients' webhooks.
public enum NotificationOutbox {
    /// An event that notifies someone, with what its recipients are found by; the rows are written later, with
    /// the event (`ProjectWrite`).
    struct Notice: Sendable {
        let audiences: [Audience]
        let investorOrganisation: String
        let agentID: Int64?
        /// Staff whose region covers the project's: its own region, the regions above it, and the whole country
        /// (Jurisdiction.covers), so the lookup is an index probe rather than a pattern per staff row.
        let covering: [String]
        /// Departments the event names beyond its item's: the stage's lead department of an escalation, the
        /// departments invited to a meeting.
        let namedDepartments: [String]
        let projectID: Int64
        let itemID: String?
        let actorID: Int64
        let seq: Int
        let kind: String
        let title: String
        let body: String
        let at: Date

        /// Nil when no one hears about events of this kind.
        init?(_ event: NewEvent, payload: [String: JSONValue], seq: Int, of record: ProjectRecord) {
            guard let (audiences, title) = Notification.rule(event.event) else { return nil }
            // ISO8601FormatStyle, not ISO8601DateFormatter: building a formatter per event was a visible share of an
            // item action's time.
            var body: [String: JSONValue] = [
                "kind": .string(event.kind.text), "title": .string(title), "at": .string(event.at.formatted(.iso8601)),
                "on": .string(event.on.description), "event": .object(payload),
                "project": .object(["code": .string(record.code), "name": .string(record.name)]),
            ]
            if let item = event.itemID { body["item"] = .string(item) }
            self.audiences = audiences
            self.investorOrganisation = record.investorOrganisation
            self.agentID = record.agentID
            self.covering = (Jurisdiction(record.region) ?? Jurisdiction(stored: record.region)).coveredBy
            if case let .meetingScheduled(_, _, _, _, invitations) = event.event {
                namedDepartments = invitations.keys.sorted()
            } else {
                namedDepartments = payload["leadDepartment"]?.stringValue.map { [$0] } ?? []
            }
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

    /// Who hears of each notice, as the part of `ProjectWrite`'s statement after its `notice` rows: one
    /// notification per recipient of each notice (the actor is not told about their own action), returned for
    /// their webhook deliveries.
    ///
    /// Candidates come from three indexed lookups per notice (the organisation's users, the agent, the region's
    /// staff), never a scan of every user: a province has hundreds of thousands of investors. Each candidate row
    /// carries its notice, and its audiences are unnested beside it, so the statement stays linear in the notices
    /// whatever plan PostgreSQL chooses (a join of candidates back to notices and audiences was quadratic in a
    /// sweeper batch's notices, BENCHMARKS.md). Missing values are '' or -1.
    static let recipientsSQL = """
        candidate AS (
            SELECT n.*, u.id AS user_id, u.role, u.department, u.active
            FROM notice n JOIN users u ON u.role = 'investor' AND u.organisation = n.organisation
            UNION ALL
            SELECT n.*, u.id, u.role, u.department, u.active
            FROM notice n JOIN users u ON u.id = n.agent_id AND u.role = 'agent'
            UNION ALL
            SELECT n.*, u.id, u.role, u.department, u.active
            FROM notice n JOIN users u ON u.role IN ('reviewer', 'leader', 'coordinator')
                                      AND u.region = ANY (string_to_array(n.covering, ','))
                                      -- Of the reviewers, only the departments a notice can name.
                                      AND (u.role <> 'reviewer' OR u.department = n.item_department
                                           OR u.department = ANY (string_to_array(n.named_departments, ',')))
        ), recipient AS (
            SELECT DISTINCT ON (c.n, c.user_id) c.n, c.user_id, a.audience, c.project_id, c.seq, c.kind,
                   NULLIF(c.item_id, '') AS item_id, c.title, c.body, c.at
            FROM candidate c
            CROSS JOIN LATERAL unnest(string_to_array(c.audiences, ',')) WITH ORDINALITY AS a(audience, rank)
            WHERE c.active AND c.user_id <> c.actor_id AND (
                   (a.audience = 'investor' AND c.role = 'investor')
                OR (a.audience = 'agent' AND c.role = 'agent')
                OR (a.audience = c.role AND c.role IN ('leader', 'coordinator'))
                -- A department named by the event hears of it only if it may see the project: one with an item
                -- that applies to it (Access.canSee).
                OR (a.audience IN ('lead_department', 'invited_department') AND c.role = 'reviewer'
                    AND c.department = ANY (string_to_array(c.named_departments, ','))
                    AND EXISTS (SELECT 1 FROM items i WHERE i.project_id = c.project_id AND i.department = c.department
                                                        AND i.state NOT IN ('not_applicable', 'exempted')))
                OR (a.audience = 'department' AND c.role = 'reviewer' AND c.department = c.item_department))
            ORDER BY c.n, c.user_id, a.rank
        ), notification AS (
            INSERT INTO notifications (user_id, project_id, event_seq, kind, item_id, audience, title, details, at)
            SELECT user_id, project_id, seq, kind, item_id, audience, title, body::jsonb || jsonb_build_object('audience', audience), at
            FROM recipient
            RETURNING id, user_id
        )
        """
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
