import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The leaders' reports (issue 6), each one set-based query limited to a jurisdiction (a region prefix).
/// Working days come from the `workdays` table (ordinal differences), so SQL counts exactly as the engine does.
/// States are the current ones; `asOf` is the day overdue spans are counted to.
public enum LeaderReports {
    public struct OverdueItem: Sendable, Hashable {
        public enum State: String, Sendable { case open, defaultApproved = "default_approved", escalated }

        public let projectCode: String
        public let projectName: String
        public let region: String
        public let workflowVersionID: Int64
        public let itemID: String
        public let stageID: String
        public let department: String
        public let deadline: CivilDate
        /// Working days past the deadline: to `asOf` while open, to the default approval once deemed approved.
        public let workingDaysOver: Int
        public let state: State
        public let agentName: String?
    }

    /// How far back default approvals are listed: the leader's list is of who is late now, and a province's
    /// history holds hundreds of thousands of them (open overdue items are listed however old).
    public static let defaultApprovalWindowDays = 30

    public static func overdueItems(regionPrefix: String, asOf: CivilDate, on connection: PostgresConnection,
                                    logger: Logger) async throws -> [OverdueItem] {
        // Default approvals dated in (asOf - 30, asOf]; one on timeout is dated the day after its deadline, so the
        // window is a deadline range (the items_overdue_candidates index).
        let windowStart = asOf.adding(days: -defaultApprovalWindowDays)
        let rows = try await connection.query("""
            SELECT p.code, p.name, p.region, p.workflow_version_id, i.item_id, i.stage_id, i.department, i.deadline::text,
                   w_end.ordinal - w_deadline.ordinal,
                   CASE WHEN i.state = 'default_approved' THEN 'default_approved'
                        WHEN i.escalated_on IS NOT NULL THEN 'escalated' ELSE 'open' END,
                   agent.name
            FROM items i
            JOIN projects p ON p.id = i.project_id
            JOIN workdays w_deadline ON w_deadline.calendar_id = p.calendar_id AND w_deadline.day = i.deadline
            JOIN workdays w_end ON w_end.calendar_id = p.calendar_id
                               AND w_end.day = CASE WHEN i.state = 'default_approved' THEN i.state_since ELSE \(asOf.description)::date END
            LEFT JOIN users agent ON agent.id = p.agent_id
            WHERE starts_with(p.region, \(regionPrefix))
              AND ((i.state = 'accepted' AND i.deadline < \(asOf.description)::date)
                OR (i.state = 'default_approved' AND i.default_reason = 'timeout' AND i.deadline >= \(windowStart.description)::date
                    AND i.deadline < \(asOf.description)::date AND i.state_since <= \(asOf.description)::date))
            ORDER BY 9 DESC, p.code, i.item_id
            """, logger: logger)
        var items: [OverdueItem] = []
        for try await (code, name, region, version, item, stage, department, deadline, over, state, agent)
            in rows.decode((String, String, String, Int64, String, String, String, String, Int, String, String?).self) {
            items.append(OverdueItem(projectCode: code, projectName: name, region: region, workflowVersionID: version, itemID: item, stageID: stage,
                                     department: department, deadline: CivilDate(iso: deadline)!, workingDaysOver: over,
                                     state: OverdueItem.State(rawValue: state)!, agentName: agent))
        }
        return items
    }

    public struct AtRiskProject: Sendable, Hashable {
        public let projectCode: String
        public let projectName: String
        public let region: String
        public let usedDays: Int
        public let totalLimit: Int
        public let forecastDays: Int
        public let criticalPath: [String]
        public let warning: String
        public let agentName: String?
        public let workflowVersionID: Int64
        /// The day these figures were computed (the project's last change or daily sweep).
        public let figuresAsOf: CivilDate?
    }

    /// Open projects whose forecast exceeds their total limit, or that used 80% of it or more.
    public static func atRiskProjects(regionPrefix: String, on connection: PostgresConnection, logger: Logger) async throws -> [AtRiskProject] {
        let rows = try await connection.query("""
            SELECT p.code, p.name, p.region, p.used_days, p.total_limit, p.forecast_days, p.critical_path, p.warning, agent.name,
                   p.workflow_version_id, p.summary_as_of::text
            FROM projects p LEFT JOIN users agent ON agent.id = p.agent_id
            WHERE NOT p.completed AND starts_with(p.region, \(regionPrefix)) AND p.total_limit IS NOT NULL
              AND (p.forecast_days > p.total_limit OR p.used_days * 5 >= p.total_limit * 4)
            ORDER BY p.forecast_days - p.total_limit DESC, p.used_days DESC, p.code
            """, logger: logger)
        var projects: [AtRiskProject] = []
        for try await (code, name, region, used, limit, forecast, path, warning, agent, version, asOf)
            in rows.decode((String, String, String, Int, Int, Int, [String], String, String?, Int64, String?).self) {
            projects.append(AtRiskProject(projectCode: code, projectName: name, region: region, usedDays: used, totalLimit: limit,
                                          forecastDays: forecast, criticalPath: path, warning: warning, agentName: agent,
                                          workflowVersionID: version, figuresAsOf: asOf.flatMap(CivilDate.init(iso:))))
        }
        return projects
    }

    public struct DepartmentAccountability: Sendable, Hashable {
        public let department: String
        public let decided: Int
        public let medianUsedDays: Double?
        public let p90UsedDays: Double?
        public let medianLimitDays: Double?
        /// Decided by a person within the limit, out of all decided (default approvals are not on time).
        public let onTimeRate: Double?
        public let defaultApprovalsTimeout: Int
        public let defaultApprovalsAbsence: Int
        public let repeatSupplementRequests: Int
        public let overdueFormalDocuments: Int
        public let openEscalations: Int
    }

    public static func departments(regionPrefix: String, on connection: PostgresConnection,
                                   logger: Logger) async throws -> [DepartmentAccountability] {
        let rows = try await connection.query("""
            WITH scoped AS (
                SELECT i.*, i.state IN ('approved', 'rejected', 'default_approved') AS decided
                FROM items i JOIN projects p ON p.id = i.project_id
                WHERE starts_with(p.region, \(regionPrefix))
            ), documents AS (
                SELECT f.department, count(*)::int AS overdue
                FROM formal_documents f JOIN projects p ON p.id = f.project_id
                WHERE starts_with(p.region, \(regionPrefix)) AND f.overdue_on IS NOT NULL
                GROUP BY f.department
            )
            SELECT s.department,
                   count(*) FILTER (WHERE decided)::int,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY used_days) FILTER (WHERE decided),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY used_days) FILTER (WHERE decided),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY limit_days) FILTER (WHERE decided),
                   (count(*) FILTER (WHERE state IN ('approved', 'rejected') AND used_days <= limit_days))::float8
                       / NULLIF(count(*) FILTER (WHERE decided), 0),
                   count(*) FILTER (WHERE default_reason = 'timeout')::int,
                   count(*) FILTER (WHERE default_reason = 'absence')::int,
                   coalesce(sum(repeat_supplements), 0)::int,
                   coalesce(max(documents.overdue), 0)::int,
                   count(*) FILTER (WHERE state = 'accepted' AND escalated_on IS NOT NULL)::int
            FROM scoped s LEFT JOIN documents ON documents.department = s.department
            WHERE s.state NOT IN ('not_applicable', 'exempted')
            GROUP BY s.department
            ORDER BY s.department
            """, logger: logger)
        var report: [DepartmentAccountability] = []
        for try await (department, decided, median, p90, limit, onTime, timeout, absence, repeats, documents, escalations)
            in rows.decode((String, Int, Double?, Double?, Double?, Double?, Int, Int, Int, Int, Int).self) {
            report.append(DepartmentAccountability(department: department, decided: decided, medianUsedDays: median, p90UsedDays: p90,
                                                   medianLimitDays: limit, onTimeRate: onTime, defaultApprovalsTimeout: timeout,
                                                   defaultApprovalsAbsence: absence, repeatSupplementRequests: repeats,
                                                   overdueFormalDocuments: documents, openEscalations: escalations))
        }
        return report
    }

    public struct ThroughputMonth: Sendable, Hashable {
        public let month: String
        public let started: Int
        public let completed: Int
        /// Of the projects completed that month.
        public let medianTotalDays: Double?
        public let medianTotalLimit: Double?
    }

    public static func throughput(regionPrefix: String, on connection: PostgresConnection, logger: Logger) async throws -> [ThroughputMonth] {
        let rows = try await connection.query("""
            WITH scoped AS MATERIALIZED (
                SELECT to_char(started_on, 'YYYY-MM') AS started, to_char(completed_on, 'YYYY-MM') AS completed, used_days, total_limit
                FROM projects WHERE starts_with(region, \(regionPrefix))
            ), starts AS (
                SELECT started AS month, count(*)::int AS projects FROM scoped GROUP BY started
            ), completions AS (
                SELECT completed AS month, count(*)::int AS projects,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY used_days) AS days,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY total_limit) AS limit_days
                FROM scoped WHERE completed IS NOT NULL GROUP BY completed
            )
            -- One pass per side, grouped: a month's figures are not re-counted by a subquery per month.
            SELECT coalesce(s.month, c.month), coalesce(s.projects, 0), coalesce(c.projects, 0), c.days, c.limit_days
            FROM starts s FULL JOIN completions c ON c.month = s.month
            ORDER BY 1
            """, logger: logger)
        var months: [ThroughputMonth] = []
        for try await (month, started, completed, median, limit) in rows.decode((String, Int, Int, Double?, Double?).self) {
            months.append(ThroughputMonth(month: month, started: started, completed: completed, medianTotalDays: median, medianTotalLimit: limit))
        }
        return months
    }
}
