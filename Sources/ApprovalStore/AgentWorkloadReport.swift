import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// One agent's line of the workload report.
public struct AgentWorkload: Sendable, Hashable {
    public let agentID: Int64
    public let name: String
    public let region: String
    public let level: AgentLevel
    public let capacity: Int
    public let activeProjects: Int
    /// Projects whose latest progress update named a next step that has passed.
    public let overdueFollowUps: Int
    public let openDifficultCases: Int
    public let oldestOpenCaseDays: Int?
    public let yellowProjects: Int
    public let redProjects: Int
    public let averageRating: Double?
    public let ratings: Int
}

/// The agent workload report (issue 5 §7), one set-based query over the agents in scope.
public enum AgentWorkloadReport {
    public static func rows(regionPrefix: String?, level: AgentLevel?, agentID: Int64?, asOf today: CivilDate,
                            on connection: PostgresConnection, logger: Logger) async throws -> [AgentWorkload] {
        let day = today.description
        let rows = try await connection.query("""
            WITH carried AS (
                SELECT a.agent_id, p.id AS project_id, p.warning,
                       (SELECT next_step_on FROM progress_updates u WHERE u.project_id = p.id ORDER BY u.id DESC LIMIT 1) AS next_step_on
                FROM agent_assignments a JOIN projects p ON p.id = a.project_id
                WHERE a.ended_on IS NULL
            ), cases AS (
                SELECT c.agent_id, count(*)::int AS open, max(\(day)::date - d.raised_on)::int AS oldest
                FROM carried c JOIN difficult_cases d ON d.project_id = c.project_id AND d.resolved_on IS NULL
                GROUP BY c.agent_id
            )
            SELECT u.id, u.name, u.region, u.agent_level, u.agent_capacity,
                   (SELECT count(*)::int FROM carried c WHERE c.agent_id = u.id),
                   (SELECT count(*)::int FROM carried c WHERE c.agent_id = u.id AND c.next_step_on < \(day)::date),
                   coalesce(cases.open, 0), cases.oldest,
                   (SELECT count(*)::int FROM carried c WHERE c.agent_id = u.id AND c.warning = 'yellow'),
                   (SELECT count(*)::int FROM carried c WHERE c.agent_id = u.id AND c.warning = 'red'),
                   (SELECT avg(score)::float8 FROM ratings r WHERE r.agent_id = u.id AND r.subject_kind = 'agent'),
                   (SELECT count(*)::int FROM ratings r WHERE r.agent_id = u.id AND r.subject_kind = 'agent')
            FROM users u LEFT JOIN cases ON cases.agent_id = u.id
            WHERE u.role = 'agent'
              AND (\(regionPrefix)::text IS NULL OR starts_with(u.region, \(regionPrefix)))
              AND (\(level?.rawValue)::text IS NULL OR u.agent_level = \(level?.rawValue))
              AND (\(agentID)::bigint IS NULL OR u.id = \(agentID))
            ORDER BY u.region, u.id
            """, logger: logger)
        var report: [AgentWorkload] = []
        for try await (id, name, region, level, capacity, active, overdue, open, oldest, yellow, red, average, ratings)
            in rows.decode((Int64, String, String, String, Int, Int, Int, Int, Int?, Int, Int, Double?, Int).self) {
            report.append(AgentWorkload(agentID: id, name: name, region: region, level: AgentLevel(rawValue: level) ?? .county, capacity: capacity,
                                        activeProjects: active, overdueFollowUps: overdue, openDifficultCases: open, oldestOpenCaseDays: oldest,
                                        yellowProjects: yellow, redProjects: red, averageRating: average, ratings: ratings))
        }
        return report
    }
}
