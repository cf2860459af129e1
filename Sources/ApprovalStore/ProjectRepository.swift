import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// Projects, their items' queryable rows and their events. Every write here runs inside the caller's
/// transaction, so a state change and its audit event commit together or not at all.
public enum ProjectRepository {
    static let columns = """
        id, code, code_issued_locally, name, investor_org, region, attributes, workflow_version_id, started_on::text,
        agent_id, version, last_seq, last_hash, current_stage, completed, warning, used_days, item_yellow_raised, warning_raised,
        snapshot::text
        """

    static func decode(_ row: PostgresRow) throws -> ProjectRecord {
        let (id, code, local, name, organisation, region, attributes, workflowVersionID, startedOn, agentID, version,
             lastSeq, lastHash, currentStage, completed, warning, usedDays, itemYellowRaised, warningRaised, snapshot) = try row.decode(
            (Int64, String, Bool, String, String, String, JSONValue, Int64, String, Int64?, Int, Int, Data, String?, Bool,
             String, Int, [String], String, String?).self)
        var attributeValues: [String: AttributeValue] = [:]
        if case let .object(fields) = attributes {
            for (key, value) in fields { attributeValues[key] = AttributeValue(json: value) }
        }
        return ProjectRecord(id: id, code: code, codeIssuedLocally: local, name: name, investorOrganisation: organisation,
                             region: region, attributes: attributeValues, workflowVersionID: workflowVersionID,
                             startedOn: CivilDate(iso: startedOn)!, agentID: agentID, version: version, lastSeq: lastSeq,
                             lastHash: lastHash, currentStage: currentStage, completed: completed,
                             warning: WarningLevel(rawValue: warning) ?? .none, usedDays: usedDays,
                             itemYellowRaised: itemYellowRaised, warningRaised: WarningLevel(rawValue: warningRaised) ?? .none,
                             // A snapshot that no longer decodes (its format changed) is only a missed shortcut: the events replay.
                             snapshot: snapshot.flatMap { try? JSONDecoder().decode(ProjectSnapshot.self, from: Data($0.utf8)) })
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

    /// The project's items as they stand: restored from the row's snapshot when it was made under the current
    /// calendar, otherwise rebuilt by replaying its item events (kind `item.*`) on the version of the workflow it
    /// started with. Deadlines come out of the current calendar, so a newer calendar corrects provisional ones.
    public static func load(_ record: ProjectRecord, registry: WorkflowRegistry, on connection: PostgresConnection,
                            logger: Logger) async throws -> Project {
        try await load([record], registry: registry, on: connection, logger: logger)[0]
    }

    /// The same for many projects, in the order of `records`: the ones without a usable snapshot are replayed
    /// together in one statement (the sweeper's batch).
    public static func load(_ records: [ProjectRecord], registry: WorkflowRegistry, on connection: PostgresConnection,
                            logger: Logger) async throws -> [Project] {
        var projects: [Project] = []
        var replayed: [Int64: Int] = [:]
        for record in records {
            guard let workflow = registry.versions[record.workflowVersionID] else {
                throw StoredEventError(message: "project \(record.code) runs workflow version \(record.workflowVersionID), which is not loaded")
            }
            if let snapshot = record.snapshot,
               let restored = Project(workflow: workflow, attributes: record.attributes, startedOn: record.startedOn, restoring: snapshot,
                                      calendar: registry.calendar(for: workflow)) {
                projects.append(restored)
            } else {
                replayed[record.id] = projects.count
                projects.append(try Project(workflow: workflow, attributes: record.attributes, startedOn: record.startedOn))
            }
        }
        try await replay(into: &projects, at: replayed, registry: registry, on: connection, logger: logger)
        return projects
    }

    /// Every project whose stored snapshot differs from the replay of its events (what `load` would give
    /// without the snapshot); a snapshot made under another calendar is not compared, as `load` ignores it too.
    public static func snapshotMismatches(registry: WorkflowRegistry, on connection: PostgresConnection,
                                          logger: Logger) async throws -> [String] {
        let records = try await connection.query("SELECT \(unescaped: columns) FROM projects WHERE snapshot IS NOT NULL ORDER BY id",
                                                 logger: logger).collect().map(decode)
        let fromSnapshots = try await load(records, registry: registry, on: connection, logger: logger)
        let replayed = try await load(records.map { var record = $0; record.snapshot = nil; return record },
                                      registry: registry, on: connection, logger: logger)
        return zip(records, zip(fromSnapshots, replayed)).filter { $1.0 != $1.1 }.map { $0.0.code }
    }

    /// Rebuilds the projects at `positions` (project id → index in `projects`) from their item events.
    static func replay(into projects: inout [Project], at positions: [Int64: Int], registry: WorkflowRegistry,
                       on connection: PostgresConnection, logger: Logger) async throws {
        guard !positions.isEmpty else { return }
        let rows = try await connection.query("""
            SELECT project_id, item_id, on_date::text, payload FROM events
            WHERE project_id = ANY(\(Array(positions.keys))) AND kind = ANY(\(ItemAction.Code.allCases.map { EventKind.item($0).text }))
            ORDER BY project_id, seq
            """, logger: logger)
        for try await (projectID, itemID, onDate, payload) in rows.decode((Int64, String, String, JSONValue).self) {
            guard let index = positions[projectID] else { continue }
            try projects[index].perform(ItemAction(payload: payload), on: itemID, date: CivilDate(iso: onDate)!,
                                        calendar: registry.calendar(for: projects[index].workflow))
        }
    }

    /// Appends one event to the project's chain, with the notifications it causes, and moves the record's head.
    /// (Many events at once: `PendingEvents`, which this uses.)
    public static func append(_ event: NewEvent, to record: inout ProjectRecord, on connection: PostgresConnection,
                              logger: Logger) async throws {
        var pending = PendingEvents()
        pending.append(event, to: &record)
        try await pending.write(on: connection, logger: logger)
    }

    /// The same for many projects in two statements (the sweeper's batch). Each record gets its new version.
    public static func save(_ saves: inout [ProjectSave], on connection: PostgresConnection, logger: Logger) async throws {
        guard !saves.isEmpty else { return }
        for index in saves.indices {
            let view = saves[index].view
            saves[index].record.version += 1
            saves[index].record.currentStage = view.currentStageID
            saves[index].record.completed = view.currentStageID == nil
            saves[index].record.warning = view.warning
            saves[index].record.usedDays = view.usedDays
            saves[index].record.snapshot = saves[index].snapshot
        }
        let encoder = JSONEncoder()
        let snapshots = try saves.map { String(decoding: try encoder.encode($0.snapshot), as: UTF8.self) }
        let records = saves.map(\.record)
        // Arrays hold no NULLs: a missing agent is -1, a missing stage '', a missing next due instant is masked
        // by `due`; the two list columns travel as JSON text, since arrays of arrays must be rectangular.
        try await connection.query("""
            UPDATE projects p SET name = r.name, agent_id = NULLIF(r.agent_id, -1), version = r.version, last_seq = r.last_seq,
                last_hash = r.last_hash, current_stage = NULLIF(r.current_stage, ''), completed = r.completed, warning = r.warning,
                used_days = r.used_days, next_due_at = CASE WHEN r.due THEN r.next_due_at END,
                item_yellow_raised = ARRAY(SELECT jsonb_array_elements_text(r.item_yellow_raised::jsonb)),
                warning_raised = r.warning_raised, summary_as_of = r.summary_as_of::date, forecast_days = r.forecast_days,
                total_limit = r.total_limit, critical_path = ARRAY(SELECT jsonb_array_elements_text(r.critical_path::jsonb)),
                calendar_id = r.calendar_id, snapshot = r.snapshot::jsonb,
                completed_on = CASE WHEN r.completed THEN coalesce(p.completed_on, r.summary_as_of::date) END
            FROM unnest(\(records.map(\.id)), \(records.map(\.name)), \(records.map { $0.agentID ?? -1 }), \(records.map(\.version)),
                        \(records.map(\.lastSeq)), \(records.map { ByteBuffer(bytes: $0.lastHash) }), \(records.map { $0.currentStage ?? "" }),
                        \(records.map(\.completed)), \(records.map(\.warning.rawValue)), \(records.map(\.usedDays)),
                        \(saves.map { $0.nextDue != nil }), \(saves.map { $0.nextDue ?? Date(timeIntervalSince1970: 0) }),
                        \(records.map { JSONValue.array($0.itemYellowRaised.map(JSONValue.string)).canonicalText }),
                        \(records.map(\.warningRaised.rawValue)), \(saves.map(\.view.asOf.description)),
                        \(saves.map(\.view.forecast.totalDays)), \(saves.map(\.view.totalLimit)),
                        \(saves.map { JSONValue.array($0.view.forecast.criticalPath.map(JSONValue.string)).canonicalText }),
                        \(saves.map(\.project.workflow.calendarID)), \(snapshots))
                AS r(id, name, agent_id, version, last_seq, last_hash, current_stage, completed, warning, used_days, due, next_due_at,
                     item_yellow_raised, warning_raised, summary_as_of, forecast_days, total_limit, critical_path, calendar_id, snapshot)
            WHERE p.id = r.id
            """, logger: logger)
        var projectIDs: [Int64] = [], ids: [String] = [], stages: [String] = [], departments: [String] = [], states: [String] = []
        var since: [String] = [], limits: [Int] = [], used: [Int] = [], deadlines: [String] = [], provisional: [Bool] = []
        var reasons: [String] = [], escalated: [String] = [], repeats: [Int] = []
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
            }
        }
        // Changed rows are updated and new ones inserted. A change touches one or two of a project's items, so the
        // rest are left as they are: not rewritten (a new row version, its index entries and WAL), and not even
        // locked, as an upsert's ON CONFLICT DO UPDATE would lock every conflicting row it then skips.
        try await connection.query("""
            WITH item AS (
                SELECT project_id, id, stage, department, state, since::date AS since, limit_days, used, NULLIF(deadline, '')::date AS deadline,
                       provisional, NULLIF(reason, '') AS reason, NULLIF(escalated, '')::date AS escalated, repeats
                FROM unnest(\(projectIDs), \(ids), \(stages), \(departments), \(states), \(since), \(limits), \(used), \(deadlines),
                            \(provisional), \(reasons), \(escalated), \(repeats))
                    AS item(project_id, id, stage, department, state, since, limit_days, used, deadline, provisional, reason, escalated, repeats)
            ), changed AS (
                UPDATE items SET state = item.state, state_since = item.since, used_days = item.used, deadline = item.deadline,
                    deadline_provisional = item.provisional, default_reason = item.reason, escalated_on = item.escalated,
                    repeat_supplements = item.repeats
                FROM item
                WHERE items.project_id = item.project_id AND items.item_id = item.id
                  AND (items.state, items.state_since, items.used_days, items.deadline, items.deadline_provisional, items.default_reason,
                       items.escalated_on, items.repeat_supplements)
                      IS DISTINCT FROM (item.state, item.since, item.used, item.deadline, item.provisional, item.reason, item.escalated,
                                        item.repeats)
            )
            INSERT INTO items (project_id, item_id, stage_id, department, state, state_since, limit_days, used_days,
                               deadline, deadline_provisional, default_reason, escalated_on, repeat_supplements)
            SELECT project_id, id, stage, department, state, since, limit_days, used, deadline, provisional, reason, escalated, repeats
            FROM item
            ON CONFLICT (project_id, item_id) DO NOTHING
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
