import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The rows the events are supposed to explain, checked against them: a project row must say what its
/// `project.created` event (and its renames) said, and its items, in the `items` table and in the row's snapshot,
/// must be what replaying its item events on the recorded attributes gives. Editing `projects.attributes`, region
/// or organisation, or an item's state, is found here even though no event was touched: the engine reads those
/// rows, so such an edit would silently change which approvals apply.
public enum AuditReplay {
    public static func verify(_ database: Database, registry: WorkflowRegistry, batch: Int = 500) async throws -> [AuditChain.BrokenLink] {
        var broken: [AuditChain.BrokenLink] = []
        var after: Int64 = 0
        while true {
            let (found, last) = try await database.read { connection -> ([AuditChain.BrokenLink], Int64?) in
                let records = try await connection.query("""
                    SELECT \(unescaped: ProjectRepository.columns) FROM projects WHERE id > \(after) ORDER BY id LIMIT \(batch)
                    """, logger: database.logger).collect().map(ProjectRepository.decode)
                guard let last = records.last?.id else { return ([], nil) }
                return (try await check(records, registry: registry, on: connection, logger: database.logger), last)
            }
            broken += found
            guard let last else { return broken }
            after = last
        }
    }

    static func check(_ records: [ProjectRecord], registry: WorkflowRegistry, on connection: PostgresConnection,
                      logger: Logger) async throws -> [AuditChain.BrokenLink] {
        let ids = records.map(\.id)
        var creations: [Int64: ProjectCreation] = [:], names: [Int64: String] = [:]
        for try await (projectID, kind, payload) in try await connection.query("""
            SELECT project_id, kind, payload FROM events
            WHERE project_id = ANY(\(ids)) AND kind = ANY(\([EventKind.projectCreated.text, EventKind.projectRenamed.text]))
            ORDER BY project_id, seq
            """, logger: logger).decode((Int64, String, JSONValue).self) {
            switch try DomainEvent(kind: kind == EventKind.projectCreated.text ? .projectCreated : .projectRenamed, payload: payload) {
            case let .projectCreated(creation):
                creations[projectID] = creation
                names[projectID] = creation.name
            case let .projectRenamed(_, to):
                names[projectID] = to
            default:
                break
            }
        }
        var broken: [AuditChain.BrokenLink] = []
        var projects: [Project] = [], positions: [Int64: Int] = [:]
        for record in records {
            guard let creation = creations[record.id] else {
                broken.append(.init(projectCode: record.code, seq: 1, problem: "the project row has no project.created event"))
                continue
            }
            let workflow = registry.versions[record.workflowVersionID]
            var differences: [String] = []
            if record.code != creation.code { differences.append("code") }
            if record.codeIssuedLocally != creation.codeIssuedLocally { differences.append("code_issued_locally") }
            if record.name != names[record.id] { differences.append("name") }
            if record.investorOrganisation != creation.investorOrganisation { differences.append("investor_org") }
            if record.region != creation.region { differences.append("region") }
            if record.attributes != creation.attributes { differences.append("attributes") }
            if workflow?.id != creation.workflow || workflow?.version != creation.workflowVersion { differences.append("workflow_version_id") }
            if !differences.isEmpty {
                broken.append(.init(projectCode: record.code, seq: 1,
                                    problem: "the project row's \(differences.joined(separator: ", ")) differ from its events (the row was edited)"))
                continue
            }
            guard let workflow, let project = try? Project(workflow: workflow, attributes: creation.attributes, startedOn: record.startedOn) else {
                broken.append(.init(projectCode: record.code, seq: 1, problem: "its recorded attributes do not make a project of its workflow"))
                continue
            }
            positions[record.id] = projects.count
            projects.append(project)
        }
        let unreplayed = projects
        do {
            try await ProjectRepository.replay(into: &projects, at: positions, registry: registry, on: connection, logger: logger)
        } catch {
            // An event that no longer replays (edited, re-hashed) fails the batch: replay project by project to say whose.
            for record in records {
                guard let position = positions[record.id] else { continue }
                var one = [unreplayed[position]]
                do {
                    try await ProjectRepository.replay(into: &one, at: [record.id: 0], registry: registry, on: connection, logger: logger)
                    projects[position] = one[0]
                } catch {
                    broken.append(.init(projectCode: record.code, seq: record.lastSeq, problem: "its item events do not replay (\(error))"))
                    positions[record.id] = nil
                }
            }
        }
        var rows: [Int64: [String: String]] = [:]
        for try await (projectID, itemID, state) in try await connection.query("""
            SELECT project_id, item_id, state FROM items WHERE project_id = ANY(\(Array(positions.keys)))
            """, logger: logger).decode((Int64, String, String).self) {
            rows[projectID, default: [:]][itemID] = state
        }
        for record in records {
            guard let position = positions[record.id] else { continue }
            let replayed = projects[position]
            let states = Dictionary(uniqueKeysWithValues: replayed.items.map { ($0.definition.id, $0.state.rawValue) })
            if let differing = states.keys.sorted().first(where: { rows[record.id]?[$0] != states[$0] }) ?? rows[record.id]?.keys.first(where: { states[$0] == nil }) {
                broken.append(.init(projectCode: record.code, seq: record.lastSeq,
                                    problem: "item \(differing) is \(rows[record.id]?[differing] ?? "missing") in the items table but \(states[differing] ?? "absent") by its events (the row was edited)"))
                continue
            }
            if let snapshot = record.snapshot,
               let restored = Project(workflow: replayed.workflow, attributes: replayed.attributes, startedOn: record.startedOn, restoring: snapshot,
                                      calendar: registry.calendar(for: replayed.workflow)),
               let differing = restored.items.first(where: { states[$0.definition.id] != $0.state.rawValue }) {
                broken.append(.init(projectCode: record.code, seq: record.lastSeq,
                                    problem: "item \(differing.definition.id) is \(differing.state.rawValue) in the row's snapshot but \(states[differing.definition.id] ?? "absent") by its events (the snapshot was edited)"))
            }
        }
        return broken
    }
}
