import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// Projects, their items' queryable rows and their events. Every write here runs inside the caller's
/// transaction, so a state change and its audit event commit together or not at all.
public enum ProjectRepository {
    static let columns = """
        id, code, code_issued_locally, name, investor_org, region, attributes, workflow_version_id, started_on::text,
        agent_id, version, last_seq, last_hash, current_stage, completed, warning, used_days, item_yellow_raised, warning_raised
        """

    static func decode(_ row: PostgresRow) throws -> ProjectRecord {
        let (id, code, local, name, organisation, region, attributes, workflowVersionID, startedOn, agentID, version,
             lastSeq, lastHash, currentStage, completed, warning, usedDays, itemYellowRaised, warningRaised) = try row.decode(
            (Int64, String, Bool, String, String, String, JSONValue, Int64, String, Int64?, Int, Int, Data, String?, Bool,
             String, Int, [String], String).self)
        var attributeValues: [String: AttributeValue] = [:]
        if case let .object(fields) = attributes {
            for (key, value) in fields { attributeValues[key] = AttributeValue(json: value) }
        }
        return ProjectRecord(id: id, code: code, codeIssuedLocally: local, name: name, investorOrganisation: organisation,
                             region: region, attributes: attributeValues, workflowVersionID: workflowVersionID,
                             startedOn: CivilDate(iso: startedOn)!, agentID: agentID, version: version, lastSeq: lastSeq,
                             lastHash: lastHash, currentStage: currentStage, completed: completed,
                             warning: WarningLevel(rawValue: warning) ?? .none, usedDays: usedDays,
                             itemYellowRaised: itemYellowRaised, warningRaised: WarningLevel(rawValue: warningRaised) ?? .none)
    }

    /// Inserts the project with its `project.created` event; nil when another project already has the code
    /// (checked by the unique index, so two creations racing for one code cannot both pass).
    public static func insert(_ project: NewProject, createdBy event: NewEvent, on connection: PostgresConnection,
                              logger: Logger) async throws -> ProjectRecord? {
        let attributes = JSONValue.object(project.attributes.mapValues(\.json))
        let row = try await connection.query("""
            INSERT INTO projects (code, code_issued_locally, name, investor_org, region, attributes, workflow_version_id,
                                  started_on, last_hash, version)
            VALUES (\(project.code), \(project.codeIssuedLocally), \(project.name), \(project.investorOrganisation),
                    \(project.region), \(attributes), \(project.workflowVersionID), \(project.startedOn.description)::date,
                    \(AuditChain.genesis), 0)
            ON CONFLICT (code) DO NOTHING
            RETURNING \(unescaped: columns)
            """, logger: logger).collect().first
        guard let row else { return nil }
        var record = try decode(row)
        try await append(event, to: &record, on: connection, logger: logger)
        return record
    }

    /// Reads the project and locks its row until the transaction ends: writers of one project take turns, so
    /// two conflicting decisions cannot both pass the state check.
    public static func lock(code: String, on connection: PostgresConnection, logger: Logger) async throws -> ProjectRecord? {
        try await connection.query("SELECT \(unescaped: columns) FROM projects WHERE code = \(code) FOR UPDATE", logger: logger)
            .collect().first.map(decode)
    }

    public static func find(code: String, on connection: PostgresConnection, logger: Logger) async throws -> ProjectRecord? {
        try await connection.query("SELECT \(unescaped: columns) FROM projects WHERE code = \(code)", logger: logger)
            .collect().first.map(decode)
    }

    /// Rebuilds the project's items by replaying its item events (kind `item.*`; warnings are `warning.*`) on the version of the workflow it started with.
    /// Deadlines come out of the current calendar, so a newer calendar corrects provisional ones.
    public static func load(_ record: ProjectRecord, registry: WorkflowRegistry, on connection: PostgresConnection,
                            logger: Logger) async throws -> Project {
        guard let workflow = registry.versions[record.workflowVersionID] else {
            throw StoredEventError(message: "project \(record.code) runs workflow version \(record.workflowVersionID), which is not loaded")
        }
        let calendar = registry.calendar(for: workflow)
        var project = try Project(workflow: workflow, attributes: record.attributes, startedOn: record.startedOn)
        let rows = try await connection.query("""
            SELECT item_id, on_date::text, payload FROM events
            WHERE project_id = \(record.id) AND kind LIKE 'item.%' ORDER BY seq
            """, logger: logger)
        for try await (itemID, onDate, payload) in rows.decode((String, String, JSONValue).self) {
            try project.perform(ItemAction(payload: payload), on: itemID, date: CivilDate(iso: onDate)!, calendar: calendar)
        }
        return project
    }

    /// Appends one event to the project's chain and moves the record's head. Every event passes through here,
    /// so this is also where the notifications it causes are written (NotificationOutbox), in the same transaction.
    public static func append(_ event: NewEvent, to record: inout ProjectRecord, on connection: PostgresConnection,
                              logger: Logger) async throws {
        let seq = record.lastSeq + 1
        let at = Date(timeIntervalSince1970: Double(AuditChain.milliseconds(event.at)) / 1000)
        let payload = JSONValue.object(event.payload)
        let canonical = AuditChain.canonicalEncoding(projectID: record.id, seq: seq, atMilliseconds: AuditChain.milliseconds(at),
                                                     onDate: event.on.description, kind: event.kind, itemID: event.itemID,
                                                     actorID: event.actorID, payload: payload)
        let hash = AuditChain.hash(previous: record.lastHash, canonical: canonical)
        try await connection.query("""
            INSERT INTO events (project_id, seq, at, on_date, kind, item_id, actor_id, payload, prev_hash, hash)
            VALUES (\(record.id), \(seq), \(at), \(event.on.description)::date, \(event.kind), \(event.itemID),
                    \(event.actorID), \(payload), \(record.lastHash), \(hash))
            """, logger: logger)
        record.lastSeq = seq
        record.lastHash = hash
        try await NotificationOutbox.write(event, seq: seq, of: record, on: connection, logger: logger)
    }

    /// Writes the record's changed fields, a new version, when the sweeper must next look at the project, and
    /// the items' rows as of `view`.
    public static func save(_ record: inout ProjectRecord, project: Project, view: ProjectView, nextDue: Date?,
                            on connection: PostgresConnection, logger: Logger) async throws {
        record.version += 1
        record.currentStage = view.currentStageID
        record.completed = view.currentStageID == nil
        record.warning = view.warning
        record.usedDays = view.usedDays
        try await connection.query("""
            UPDATE projects SET name = \(record.name), agent_id = \(record.agentID), version = \(record.version),
                last_seq = \(record.lastSeq), last_hash = \(record.lastHash), current_stage = \(record.currentStage),
                completed = \(record.completed), warning = \(record.warning.rawValue), used_days = \(record.usedDays),
                next_due_at = \(nextDue), item_yellow_raised = \(record.itemYellowRaised),
                warning_raised = \(record.warningRaised.rawValue), summary_as_of = \(view.asOf.description)::date,
                forecast_days = \(view.forecast.totalDays), total_limit = \(view.totalLimit), critical_path = \(view.forecast.criticalPath),
                calendar_id = \(project.workflow.calendarID),
                completed_on = CASE WHEN \(record.completed) THEN coalesce(completed_on, \(view.asOf.description)::date) END
            WHERE id = \(record.id)
            """, logger: logger)
        let items = view.items
        let since = project.items.map { ($0.reachedBy?.on ?? project.startedOn).description }
        try await connection.query("""
            INSERT INTO items (project_id, item_id, stage_id, department, state, state_since, limit_days, used_days,
                               deadline, deadline_provisional, default_reason, escalated_on, repeat_supplements)
            SELECT \(record.id), id, stage, department, state, since::date, limit_days, used, NULLIF(deadline, '')::date, provisional,
                   NULLIF(reason, ''), NULLIF(escalated, '')::date, repeats
            FROM unnest(\(items.map(\.id)), \(items.map(\.stageID)), \(items.map(\.department)), \(items.map(\.state.rawValue)),
                        \(since), \(items.map(\.limit)), \(items.map(\.usedDays)), \(items.map { $0.deadline?.value.description ?? "" }),
                        \(items.map { $0.deadline?.isProvisional ?? false }), \(items.map { $0.defaultApprovalReason?.rawValue ?? "" }),
                        \(items.map { $0.escalatedOn?.description ?? "" }), \(items.map(\.repeatSupplementRequests)))
                AS item(id, stage, department, state, since, limit_days, used, deadline, provisional, reason, escalated, repeats)
            ON CONFLICT (project_id, item_id) DO UPDATE SET state = excluded.state, state_since = excluded.state_since,
                used_days = excluded.used_days, deadline = excluded.deadline, deadline_provisional = excluded.deadline_provisional,
                default_reason = excluded.default_reason, escalated_on = excluded.escalated_on,
                repeat_supplements = excluded.repeat_supplements
            -- A change touches one or two of a project's items: the rest are left as they are, not rewritten
            -- (a new row version, its index entries and WAL for each of 27 items per change).
            WHERE (items.state, items.state_since, items.used_days, items.deadline, items.deadline_provisional, items.default_reason,
                   items.escalated_on, items.repeat_supplements)
                IS DISTINCT FROM (excluded.state, excluded.state_since, excluded.used_days, excluded.deadline, excluded.deadline_provisional,
                                  excluded.default_reason, excluded.escalated_on, excluded.repeat_supplements)
            """, logger: logger)
    }

    public static func timeline(of record: ProjectRecord, on connection: PostgresConnection, logger: Logger) async throws -> [TimelineEntry] {
        var entries: [TimelineEntry] = []
        let rows = try await connection.query("""
            SELECT e.seq, e.at, e.on_date::text, e.kind, e.item_id, e.payload, u.id, u.name, u.role
            FROM events e JOIN users u ON u.id = e.actor_id
            WHERE e.project_id = \(record.id) ORDER BY e.seq
            """, logger: logger)
        for try await (seq, at, on, kind, itemID, payload, actorID, actorName, role)
            in rows.decode((Int, Date, String, String, String?, JSONValue, Int64, String, String).self) {
            entries.append(TimelineEntry(seq: seq, at: at, on: CivilDate(iso: on)!, kind: kind, itemID: itemID, payload: payload,
                                         actorID: actorID, actorName: actorName, actorRole: Role(rawValue: role)!))
        }
        return entries
    }

    /// The next serial for locally issued codes with this prefix.
    public static func nextLocalSerial(prefix: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("""
            INSERT INTO local_code_serials (prefix, last) VALUES (\(prefix), 1)
            ON CONFLICT (prefix) DO UPDATE SET last = local_code_serials.last + 1 RETURNING last
            """, logger: logger).collect().first!.decode(Int.self)
    }
}
