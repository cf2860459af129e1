import ApprovalCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Everything a change writes to its projects, in one statement: the projects' rows (each only if its version
/// is still the one read), their items' rows, the events appended to their chains, the notifications those cause
/// with their webhook deliveries, formal documents issued, and the answer stored under the caller's
/// `Idempotency-Key`. A person's change is one of these for one project; a sweeper batch is one for a hundred.
/// Being one statement, it commits whole or not at all even outside a transaction, so an item action needs no
/// BEGIN and no COMMIT: a read, this, and the answer.
public struct ProjectWrite: Sendable {
    public var saves: [ProjectSave] = []
    /// The events appended to the records in `saves` (append first, then build the save from the record).
    public var events = PendingEvents()
    public var issuedDocuments: [IssuedDocument] = []
    /// The answer a retry with the same key gets, stored with the change it answers.
    public var answer: StoredAnswer?
    public struct IssuedDocument: Sendable {
        public let projectID: Int64
        public let itemID: String
        public let number: String
        public let on: CivilDate

        public init(projectID: Int64, itemID: String, number: String, on: CivilDate) {
            self.projectID = projectID
            self.itemID = itemID
            self.number = number
            self.on = on
        }
    }

    public struct StoredAnswer: Sendable {
        public let userID: Int64
        public let key: String
        public let requestDigest: Data
        public let response: Idempotency.StoredResponse

        public init(userID: Int64, key: String, requestDigest: Data, response: Idempotency.StoredResponse) {
            self.userID = userID
            self.key = key
            self.requestDigest = requestDigest
            self.response = response
        }
    }

    public init() {}

    /// Writes everything, or nothing when a project's version moved since it was read (another change came
    /// first): then it answers false, and the caller reads again and decides again. The records in `saves`
    /// get their new versions.
    public mutating func write(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        guard !saves.isEmpty else { return true }
        let expected = saves.map(\.record.version)
        let snapshots = saves.map(\.snapshot.json.canonicalText)
        for index in saves.indices { saves[index].record = saves[index].savedRecord }
        let statement = Statement(query: statement(expectedVersions: expected, snapshots: snapshots))
        let written = try await connection.execute(statement, logger: logger).first { _ in true } ?? 0
        events = PendingEvents()
        return written == saves.count
    }

    /// Every change runs this, so it is prepared once per connection: planning it anew took PostgreSQL about as
    /// long as running it (BENCHMARKS.md). Its text does not depend on the values (each is an array parameter, cast
    /// to its type so that it can be prepared without them).
    struct Statement: PostgresPreparedStatement {
        static let sql = ProjectWrite().statement(expectedVersions: [], snapshots: []).sql
        let query: PostgresQuery

        func makeBindings() throws -> PostgresBindings { query.binds }
        func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
    }

    // Arrays hold no NULLs: a missing agent is -1, a missing stage or item '', a missing next due instant is
    // masked by `due`; list columns travel as JSON text (arrays of arrays must be rectangular), and a notice's
    // audiences and covering regions as comma-separated text (neither contains commas).
    private func statement(expectedVersions: [Int], snapshots: [String]) -> PostgresQuery {
        let records = saves.map(\.record)
        let items = ItemRows(saves)
        let rows = events.rows, notices = events.notices
        let answers = answer.map { [$0] } ?? []
        return """
            WITH saved AS (
                UPDATE projects p SET name = r.name, agent_id = NULLIF(r.agent_id, -1), version = r.version, last_seq = r.last_seq,
                    last_hash = r.last_hash, current_stage = NULLIF(r.current_stage, ''), completed = r.completed, warning = r.warning,
                    used_days = r.used_days, next_due_at = CASE WHEN r.due THEN r.next_due_at END,
                    item_yellow_raised = ARRAY(SELECT jsonb_array_elements_text(r.item_yellow_raised::jsonb)),
                    warning_raised = r.warning_raised, summary_as_of = r.summary_as_of::date, forecast_days = r.forecast_days,
                    expected_days = NULLIF(r.expected_days, -1),
                    total_limit = r.total_limit, critical_path = ARRAY(SELECT jsonb_array_elements_text(r.critical_path::jsonb)),
                    calendar_id = r.calendar_id, snapshot = r.snapshot::jsonb,
                    completed_on = CASE WHEN r.completed THEN coalesce(p.completed_on, r.summary_as_of::date) END
                FROM unnest(\(records.map(\.id))::int8[], \(expectedVersions)::int8[], \(records.map(\.name))::text[], \(records.map { $0.agentID ?? -1 })::int8[],
                            \(records.map(\.version))::int8[], \(records.map(\.lastSeq))::int8[], \(records.map { ByteBuffer(bytes: $0.lastHash) })::bytea[],
                            \(records.map { $0.currentStage ?? "" })::text[], \(records.map(\.completed))::bool[], \(records.map(\.warning.rawValue))::text[],
                            \(records.map(\.usedDays))::int8[], \(saves.map { $0.nextDue != nil })::bool[], \(saves.map { $0.nextDue ?? Date(timeIntervalSince1970: 0) })::timestamptz[],
                            \(records.map { JSONValue.array($0.itemYellowRaised.map(JSONValue.string)).canonicalText })::text[],
                            \(records.map(\.warningRaised.rawValue))::text[], \(saves.map(\.view.asOf.description))::text[],
                            \(saves.map(\.view.forecast.totalDays))::int8[], \(saves.map { $0.expected.criticalPath.isEmpty ? -1 : $0.expected.totalDays })::int8[],
                            \(saves.map(\.view.totalLimit))::int8[],
                            \(saves.map { JSONValue.array($0.view.forecast.criticalPath.map(JSONValue.string)).canonicalText })::text[],
                            \(saves.map(\.project.workflow.calendarID))::text[], \(snapshots)::text[])
                    AS r(id, expected, name, agent_id, version, last_seq, last_hash, current_stage, completed, warning, used_days, due,
                         next_due_at, item_yellow_raised, warning_raised, summary_as_of, forecast_days, expected_days, total_limit, critical_path,
                         calendar_id, snapshot)
                WHERE p.id = r.id AND p.version = r.expected
                RETURNING p.id
            ), item AS (
                SELECT project_id, id, stage, department, state, since::date AS since, limit_days, used, NULLIF(deadline, '')::date AS deadline,
                       provisional, NULLIF(reason, '') AS reason, NULLIF(escalated, '')::date AS escalated, repeats, extension,
                       NULLIF(commitment_due, '')::date AS commitment_due, extension_asked, NULLIF(waiting_for, '') AS waiting_for
                FROM unnest(\(items.projectIDs)::int8[], \(items.ids)::text[], \(items.stages)::text[], \(items.departments)::text[], \(items.states)::text[], \(items.since)::text[],
                            \(items.limits)::int8[], \(items.used)::int8[], \(items.deadlines)::text[], \(items.provisional)::bool[], \(items.reasons)::text[], \(items.escalated)::text[],
                            \(items.repeats)::int8[], \(items.extensions)::int8[], \(items.commitmentsDue)::text[], \(items.extensionsAsked)::bool[],
                            \(items.waitingFor)::text[])
                    AS item(project_id, id, stage, department, state, since, limit_days, used, deadline, provisional, reason, escalated, repeats,
                            extension, commitment_due, extension_asked, waiting_for)
                WHERE project_id IN (SELECT id FROM saved)
            ), changed_item AS (
                -- Changed rows are updated and new ones inserted. A change touches one or two of a project's items, so
                -- the rest are left as they are: not rewritten (a new row version, its index entries and WAL), and not
                -- even locked, as an upsert's ON CONFLICT DO UPDATE would lock every conflicting row it then skips.
                UPDATE items SET state = item.state, state_since = item.since, used_days = item.used, deadline = item.deadline,
                    deadline_provisional = item.provisional, default_reason = item.reason, escalated_on = item.escalated,
                    repeat_supplements = item.repeats, limit_days = item.limit_days, extension_days = item.extension,
                    commitment_due = item.commitment_due, extension_asked = item.extension_asked, waiting_for = item.waiting_for
                FROM item
                WHERE items.project_id = item.project_id AND items.item_id = item.id
                  AND (items.state, items.state_since, items.used_days, items.deadline, items.deadline_provisional, items.default_reason,
                       items.escalated_on, items.repeat_supplements, items.limit_days, items.extension_days, items.commitment_due,
                       items.extension_asked, items.waiting_for)
                      IS DISTINCT FROM (item.state, item.since, item.used, item.deadline, item.provisional, item.reason, item.escalated,
                                        item.repeats, item.limit_days, item.extension, item.commitment_due, item.extension_asked, item.waiting_for)
            ), new_item AS (
                INSERT INTO items (project_id, item_id, stage_id, department, state, state_since, limit_days, used_days,
                                   deadline, deadline_provisional, default_reason, escalated_on, repeat_supplements, extension_days,
                                   commitment_due, extension_asked, waiting_for)
                SELECT project_id, id, stage, department, state, since, limit_days, used, deadline, provisional, reason, escalated, repeats,
                       extension, commitment_due, extension_asked, waiting_for
                FROM item
                ON CONFLICT (project_id, item_id) DO NOTHING
            ), event AS (
                INSERT INTO events (project_id, seq, at, on_date, kind, item_id, actor_id, payload, prev_hash, hash)
                SELECT project_id, seq, at, on_date::date, kind, NULLIF(item_id, ''), actor_id, payload::jsonb, prev_hash, hash
                FROM unnest(\(rows.map(\.projectID))::int8[], \(rows.map(\.seq))::int8[], \(rows.map(\.at))::timestamptz[], \(rows.map(\.on))::text[], \(rows.map(\.kind))::text[],
                            \(rows.map { $0.itemID ?? "" })::text[], \(rows.map(\.actorID))::int8[], \(rows.map(\.payload))::text[],
                            \(rows.map { ByteBuffer(bytes: $0.previousHash) })::bytea[], \(rows.map { ByteBuffer(bytes: $0.hash) })::bytea[])
                    AS event(project_id, seq, at, on_date, kind, item_id, actor_id, payload, prev_hash, hash)
                WHERE project_id IN (SELECT id FROM saved)
            ), notice AS MATERIALIZED (
                SELECT n.*, (SELECT department FROM items WHERE project_id = n.project_id AND item_id = NULLIF(n.item_id, ''))
                                AS item_department
                FROM unnest(\(notices.map { $0.audiences.map(\.rawValue).joined(separator: ",") })::text[],
                                       \(notices.map(\.investorOrganisation))::text[], \(notices.map { $0.agentID ?? -1 })::int8[],
                                       \(notices.map { $0.covering.joined(separator: ",") })::text[], \(notices.map { $0.namedDepartments.joined(separator: ",") })::text[],
                                       \(notices.map(\.projectID))::int8[], \(notices.map { $0.itemID ?? "" })::text[],
                                       \(notices.map(\.actorID))::int8[], \(notices.map(\.seq))::int8[], \(notices.map(\.kind))::text[], \(notices.map(\.title))::text[],
                                       \(notices.map(\.body))::text[], \(notices.map(\.at))::timestamptz[]) WITH ORDINALITY
                    AS n(audiences, organisation, agent_id, covering, named_departments, project_id, item_id, actor_id, seq,
                         kind, title, body, at, n)
                WHERE n.project_id IN (SELECT id FROM saved)
            ), \(unescaped: NotificationOutbox.recipientsSQL), delivery AS (
                INSERT INTO webhook_deliveries (subscription_id, notification_id)
                SELECT s.id, notification.id FROM notification JOIN webhook_subscriptions s ON s.user_id = notification.user_id AND s.active
            ), issued AS (
                UPDATE formal_documents d SET issued_on = issued.on_date::date, document_number = issued.number
                FROM unnest(\(issuedDocuments.map(\.projectID))::int8[], \(issuedDocuments.map(\.itemID))::text[], \(issuedDocuments.map(\.number))::text[],
                            \(issuedDocuments.map(\.on.description))::text[]) AS issued(project_id, item_id, number, on_date)
                WHERE d.project_id = issued.project_id AND d.item_id = issued.item_id AND d.issued_on IS NULL
                  AND issued.project_id IN (SELECT id FROM saved)
            ), answer AS (
                INSERT INTO idempotency_keys (user_id, key, request_digest, response_status, response_body)
                SELECT user_id, key, digest, status, body
                FROM unnest(\(answers.map(\.userID))::int8[], \(answers.map(\.key))::text[], \(answers.map { ByteBuffer(bytes: $0.requestDigest) })::bytea[],
                            \(answers.map(\.response.status))::int8[], \(answers.map(\.response.body))::text[]) AS answer(user_id, key, digest, status, body)
                WHERE EXISTS (SELECT 1 FROM saved)
            )
            SELECT count(*)::int8 FROM saved
            """
    }
}

/// The item rows of the saved projects, column by column, as `ProjectWrite` passes them.
private struct ItemRows {
    var projectIDs: [Int64] = [], ids: [String] = [], stages: [String] = [], departments: [String] = [], states: [String] = []
    var since: [String] = [], limits: [Int] = [], used: [Int] = [], deadlines: [String] = [], provisional: [Bool] = []
    var reasons: [String] = [], escalated: [String] = [], repeats: [Int] = [], extensions: [Int] = []
    var commitmentsDue: [String] = [], extensionsAsked: [Bool] = [], waitingFor: [String] = []

    init(_ saves: [ProjectSave]) {
        for save in saves {
            for (item, stored) in zip(save.view.items, save.project.items) {
                projectIDs.append(save.record.id)
                ids.append(item.id)
                stages.append(item.stageID)
                departments.append(item.department)
                states.append(item.state.rawValue)
                since.append((stored.reachedBy?.on ?? save.project.startedOn).description)
                limits.append(item.limit)
                used.append(item.usedDays)
                deadlines.append(item.deadline?.value.description ?? "")
                provisional.append(item.deadline?.isProvisional ?? false)
                reasons.append(item.defaultApprovalReason?.rawValue ?? "")
                escalated.append(item.escalatedOn?.description ?? "")
                repeats.append(item.repeatSupplementRequests)
                extensions.append(stored.timeExtension?.grantedDays ?? 0)
                commitmentsDue.append(stored.commitmentDue?.description ?? "")
                extensionsAsked.append(stored.extensionPending)
                waitingFor.append(stored.waitingFor ?? "")
            }
        }
    }
}
