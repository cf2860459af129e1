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
        snapshot
        """

    static let columnCount = columns.split(separator: ",").count

    static func decode(_ row: PostgresRow) throws -> ProjectRecord {
        var cells = RowCells(row)
        return try decode(&cells)
    }

    static func decode(_ cells: inout RowCells) throws -> ProjectRecord {
        let id = try cells.next(Int64.self), code = try cells.next(String.self), local = try cells.next(Bool.self)
        let name = try cells.next(String.self), organisation = try cells.next(String.self), region = try cells.next(String.self)
        let attributes = try cells.next(JSONValue.self), workflowVersionID = try cells.next(Int64.self)
        let startedOn = try cells.next(String.self), agentID = try cells.next(Int64?.self), version = try cells.next(Int.self)
        let lastSeq = try cells.next(Int.self), lastHash = try cells.next(Data.self), currentStage = try cells.next(String?.self)
        let completed = try cells.next(Bool.self), warning = try cells.next(String.self), usedDays = try cells.next(Int.self)
        let itemYellowRaised = try cells.next([String].self), warningRaised = try cells.next(String.self)
        let snapshot = try cells.next(JSONValue?.self)
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
                             snapshot: snapshot.flatMap { try? ProjectSnapshot(json: $0) })
    }

    /// Inserts the project's row, at version 0 with an empty chain (its `project.created` event and its items
    /// follow in the same transaction, through `ProjectWrite`); nil when another project already has the code
    /// (checked by the unique index, so two creations racing for one code cannot both pass).
    public static func insert(_ project: NewProject, on connection: PostgresConnection, logger: Logger) async throws -> ProjectRecord? {
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
        return try row.map(decode)
    }

    /// Locks the project's row until the transaction ends, if it is still at `version`; false when another change
    /// came first.
    public static func lock(id: Int64, version: Int, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await !connection.query("SELECT 1 FROM projects WHERE id = \(id) AND version = \(version) FOR UPDATE", logger: logger)
            .collect().isEmpty
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

    /// The next serial for locally issued codes with this prefix that no project's code has taken, up to `maximum`;
    /// nil when none is left. (Codes given by the national platform never have the local segments, but rows
    /// written before that rule may.)
    public static func nextLocalSerial(prefix: String, maximum: Int, on connection: PostgresConnection, logger: Logger) async throws -> Int? {
        try await connection.query("""
            INSERT INTO local_code_serials (prefix, last) VALUES (\(prefix), 0) ON CONFLICT (prefix) DO NOTHING
            """, logger: logger)
        // Walks forward from the last serial issued while the code is taken: one index probe per taken serial
        // (legacy codes only), not a scan of the million serials a month may hold.
        let serial = try await connection.query("""
            WITH RECURSIVE current AS (SELECT last FROM local_code_serials WHERE prefix = \(prefix) FOR UPDATE),
            probe(s) AS (
                SELECT last + 1 FROM current
                UNION ALL
                SELECT s + 1 FROM probe
                WHERE s <= \(maximum) AND EXISTS (SELECT 1 FROM projects WHERE code = \(prefix) || lpad(s::text, 6, '0')))
            UPDATE local_code_serials SET last = least((SELECT max(s) FROM probe), \(maximum + 1))
            WHERE prefix = \(prefix) RETURNING last
            """, logger: logger).collect().first?.decode(Int.self)
        return serial.flatMap { $0 <= maximum ? $0 : nil }
    }
}
