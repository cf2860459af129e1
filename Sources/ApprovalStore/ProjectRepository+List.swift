import Foundation
import ApprovalCore
import Logging
import PostgresNIO

/// Which projects a caller may see (the rules live in the server's authorization; this is their SQL form).
public enum ProjectScope: Sendable, Hashable {
    case everything
    case region(prefix: String)
    case organisation(String)
    case agent(userID: Int64)
    /// Projects in the region with an applicable item of the department.
    case department(String, regionPrefix: String)
}

public struct ProjectFilter: Sendable, Hashable {
    /// A current stage id, or `completed`.
    public var stage: String?
    public var completed: Bool?
    public var warning: WarningLevel?
    public var regionPrefix: String?
    public var workflowID: String?
    /// Keyset pagination: projects with a smaller id (newest first).
    public var beforeID: Int64?
    public var limit: Int

    public init(stage: String? = nil, completed: Bool? = nil, warning: WarningLevel? = nil, regionPrefix: String? = nil,
                workflowID: String? = nil, beforeID: Int64? = nil, limit: Int = 50) {
        self.stage = stage
        self.completed = completed
        self.warning = warning
        self.regionPrefix = regionPrefix
        self.workflowID = workflowID
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// A project as a list shows it: with its workflow's id and the agent's next step date (the latest update's).
public struct ListedProject: Sendable {
    public let record: ProjectRecord
    public let workflowID: String
    public let nextStepOn: CivilDate?
}

extension ProjectRepository {
    /// One page of the projects in scope that match the filter, newest first, and whether more follow.
    public static func list(_ filter: ProjectFilter, scope: ProjectScope, on connection: PostgresConnection,
                            logger: Logger) async throws -> (projects: [ListedProject], more: Bool) {
        var kind = "everything"
        var prefix: String?
        var organisation: String?
        var agentID: Int64?
        var department: String?
        switch scope {
        case .everything: break
        case let .region(value): (kind, prefix) = ("region", value)
        case let .organisation(value): (kind, organisation) = ("organisation", value)
        case let .agent(value): (kind, agentID) = ("agent", value)
        case let .department(value, region): (kind, department, prefix) = ("department", value, region)
        }
        let rows = try await connection.query("""
            SELECT \(unescaped: columns.split(separator: ",").map { "p." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")), w.workflow_id,
                   (SELECT u.next_step_on::text FROM progress_updates u WHERE u.project_id = p.id ORDER BY u.id DESC LIMIT 1)
            FROM projects p JOIN workflow_versions w ON w.id = p.workflow_version_id
            WHERE (\(kind) = 'everything'
                   OR (\(kind) = 'region' AND starts_with(p.region, \(prefix)))
                   OR (\(kind) = 'organisation' AND p.investor_org = \(organisation))
                   OR (\(kind) = 'agent' AND p.agent_id = \(agentID))
                   OR (\(kind) = 'department' AND starts_with(p.region, \(prefix)) AND EXISTS (
                       SELECT 1 FROM items i WHERE i.project_id = p.id AND i.department = \(department)
                       AND i.state NOT IN ('not_applicable', 'exempted'))))
              AND (\(filter.stage)::text IS NULL OR p.current_stage = \(filter.stage) OR (\(filter.stage) = 'completed' AND p.completed))
              AND (\(filter.completed)::boolean IS NULL OR p.completed = \(filter.completed))
              AND (\(filter.warning?.rawValue)::text IS NULL OR p.warning = \(filter.warning?.rawValue))
              AND (\(filter.regionPrefix)::text IS NULL OR starts_with(p.region, \(filter.regionPrefix)))
              AND (\(filter.workflowID)::text IS NULL OR w.workflow_id = \(filter.workflowID))
              AND (\(filter.beforeID)::bigint IS NULL OR p.id < \(filter.beforeID))
            ORDER BY p.id DESC
            LIMIT \(filter.limit + 1)
            """, logger: logger).collect()
        var projects: [ListedProject] = []
        for row in rows.prefix(filter.limit) {
            let cells = row.makeRandomAccess()
            projects.append(ListedProject(record: try decode(row), workflowID: try cells[row.count - 2].decode(String.self),
                                          nextStepOn: try cells[row.count - 1].decode(String?.self).flatMap { CivilDate(iso: $0) }))
        }
        return (projects, rows.count > filter.limit)
    }
}
