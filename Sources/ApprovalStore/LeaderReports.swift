import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The leaders' reports (issue 6), each one set-based query limited to a jurisdiction (a region prefix).
/// Working days come from the `workdays` table (ordinal differences), so SQL counts exactly as the engine does.
/// States are the current ones; `asOf` is the day overdue spans are counted to.
public enum LeaderReports {
    /// The open projects under a region, and how many of them are red and yellow: the dashboard's headline.
    public static func openProjectCounts(regionPrefix: String, on connection: PostgresConnection,
                                         logger: Logger) async throws -> (red: Int, yellow: Int, open: Int) {
        let rows = try await connection.query("""
            SELECT count(*) FILTER (WHERE warning = 'red')::int, count(*) FILTER (WHERE warning = 'yellow')::int, count(*)::int
            FROM projects WHERE NOT completed AND starts_with(region, \(regionPrefix))
            """, logger: logger).collect()
        let (red, yellow, open) = try rows.first?.decode((Int, Int, Int).self) ?? (0, 0, 0)
        return (red, yellow, open)
    }


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
        // The candidates first, through their index, then their projects by primary key: joined the other way
        // round, the planner hashes every project of the region.
        let rows = try await connection.query("""
            WITH candidates AS MATERIALIZED (
                SELECT * FROM items WHERE state = 'accepted' AND deadline < \(asOf.description)::date
                UNION ALL
                SELECT * FROM items WHERE state = 'default_approved' AND default_reason = 'timeout'
                    AND deadline >= \(windowStart.description)::date AND deadline < \(asOf.description)::date
                    AND state_since <= \(asOf.description)::date
            )
            SELECT p.code, p.name, p.region, p.workflow_version_id, i.item_id, i.stage_id, i.department, i.deadline::text,
                   w_end.ordinal - w_deadline.ordinal,
                   CASE WHEN i.state = 'default_approved' THEN 'default_approved'
                        WHEN i.escalated_on IS NOT NULL THEN 'escalated' ELSE 'open' END,
                   agent.name
            FROM candidates i
            JOIN projects p ON p.id = i.project_id
            JOIN workdays w_deadline ON w_deadline.calendar_id = p.calendar_id AND w_deadline.day = i.deadline
            JOIN workdays w_end ON w_end.calendar_id = p.calendar_id
                               AND w_end.day = CASE WHEN i.state = 'default_approved' THEN i.state_since ELSE \(asOf.description)::date END
            LEFT JOIN users agent ON agent.id = p.agent_id
            WHERE starts_with(p.region, \(regionPrefix))
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
        /// The forecast from history's total, when computed (at the project's last change or sweep).
        public let expectedDays: Int?
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
                   p.workflow_version_id, p.summary_as_of::text, p.expected_days
            FROM projects p LEFT JOIN users agent ON agent.id = p.agent_id
            WHERE NOT p.completed AND starts_with(p.region, \(regionPrefix)) AND p.total_limit IS NOT NULL
              AND (p.forecast_days > p.total_limit OR p.used_days * 5 >= p.total_limit * 4 OR p.expected_days > p.total_limit)
            ORDER BY greatest(p.forecast_days, coalesce(p.expected_days, 0)) - p.total_limit DESC, p.used_days DESC, p.code
            """, logger: logger)
        var projects: [AtRiskProject] = []
        for try await (code, name, region, used, limit, forecast, path, warning, agent, version, asOf, expected)
            in rows.decode((String, String, String, Int, Int, Int, [String], String, String?, Int64, String?, Int?).self) {
            projects.append(AtRiskProject(projectCode: code, projectName: name, region: region, usedDays: used, totalLimit: limit,
                                          forecastDays: forecast, expectedDays: expected, criticalPath: path, warning: warning, agentName: agent,
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
        /// Extensions of limits granted (延期), and the working days they added.
        public let extensions: Int
        public let extensionDays: Int
    }

    /// From the department tally (Migrations/0012): the current state of every item of the jurisdiction's
    /// projects, ten years of them, in the time it takes to read a few thousand keys.
    public static func departments(regionPrefix: String, on connection: PostgresConnection,
                                   logger: Logger) async throws -> [DepartmentAccountability] {
        let rows = try await connection.query("""
            SELECT department, state, default_reason, used_days, limit_days, escalated,
                   sum(items)::int, sum(repeat_supplements)::int, sum(overdue_documents)::int, sum(extended_items)::int, sum(extension_days)::int
            FROM department_tally WHERE starts_with(region, \(regionPrefix))
            GROUP BY department, state, default_reason, used_days, limit_days, escalated
            HAVING sum(items) <> 0 OR sum(repeat_supplements) <> 0 OR sum(overdue_documents) <> 0 OR sum(extended_items) <> 0
            """, logger: logger)
        struct Figures {
            var items = 0, decided = 0, onTime = 0, timeout = 0, absence = 0, repeats = 0, documents = 0, escalations = 0
            var extensions = 0, extensionDays = 0
            var usedDays = DayHistogram(), limitDays = DayHistogram()
        }
        var byDepartment: [String: Figures] = [:]
        for try await (department, state, reason, used, limit, escalated, items, repeats, documents, extended, extensionDays)
            in rows.decode((String, String?, String?, Int?, Int?, Bool, Int, Int, Int, Int, Int).self) {
            var figures = byDepartment[department, default: Figures()]
            figures.items += items
            figures.repeats += repeats
            figures.extensions += extended
            figures.extensionDays += extensionDays
            figures.documents += documents
            if escalated { figures.escalations += items }
            switch reason {
            case DefaultApprovalReason.timeout.rawValue: figures.timeout += items
            case DefaultApprovalReason.absence.rawValue: figures.absence += items
            default: break
            }
            if let used, let limit {
                // A decided item: the tally keeps used days for these only.
                figures.decided += items
                figures.usedDays.add(used, count: items)
                figures.limitDays.add(limit, count: items)
                if state != ItemState.defaultApproved.rawValue, used <= limit { figures.onTime += items }
            }
            byDepartment[department] = figures
        }
        // A department is listed once it has items in the jurisdiction; its overdue documents go with it.
        return byDepartment.filter { $0.value.items > 0 }.sorted { $0.key < $1.key }.map { department, figures in
            DepartmentAccountability(department: department, decided: figures.decided, medianUsedDays: figures.usedDays.percentile(0.5),
                                     p90UsedDays: figures.usedDays.percentile(0.9), medianLimitDays: figures.limitDays.percentile(0.5),
                                     onTimeRate: figures.decided > 0 ? Double(figures.onTime) / Double(figures.decided) : nil,
                                     defaultApprovalsTimeout: figures.timeout, defaultApprovalsAbsence: figures.absence,
                                     repeatSupplementRequests: figures.repeats, overdueFormalDocuments: figures.documents,
                                     openEscalations: figures.escalations, extensions: figures.extensions, extensionDays: figures.extensionDays)
        }
    }

    public struct ThroughputMonth: Sendable, Hashable {
        public let month: String
        public let started: Int
        public let completed: Int
        /// Of the projects completed that month.
        public let medianTotalDays: Double?
        public let medianTotalLimit: Double?
    }

    /// From the project tally (Migrations/0012): starts and completions by month.
    public static func throughput(regionPrefix: String, on connection: PostgresConnection, logger: Logger) async throws -> [ThroughputMonth] {
        let rows = try await connection.query("""
            SELECT month, fact, used_days, total_limit, sum(projects)::int
            FROM project_tally WHERE starts_with(region, \(regionPrefix))
            GROUP BY month, fact, used_days, total_limit HAVING sum(projects) <> 0
            """, logger: logger)
        struct Figures { var started = 0, completed = 0; var days = DayHistogram(), limits = DayHistogram() }
        var byMonth: [String: Figures] = [:]
        for try await (month, fact, used, limit, projects) in rows.decode((String, String, Int?, Int?, Int).self) {
            var figures = byMonth[month, default: Figures()]
            if fact == "started" {
                figures.started += projects
            } else {
                figures.completed += projects
                if let used { figures.days.add(used, count: projects) }
                if let limit { figures.limits.add(limit, count: projects) }
            }
            byMonth[month] = figures
        }
        return byMonth.sorted { $0.key < $1.key }.map { month, figures in
            ThroughputMonth(month: month, started: figures.started, completed: figures.completed,
                            medianTotalDays: figures.days.percentile(0.5), medianTotalLimit: figures.limits.percentile(0.5))
        }
    }
}
