import ApprovalSeed
import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import PostgresNIO
import Testing

/// The department and throughput reports read tallies kept by triggers (Migrations/0012). Their figures must be
/// exactly what counting the rows themselves gives: after a bulk load (rebuilt), after live writes (changes not
/// yet folded), and after compaction.
@Suite("Report tallies", .timeLimit(.minutes(5)))
struct ReportTallyTests {
    @Test func tallyFiguresEqualACountOfTheRowsBeforeAndAfterCompaction() async throws {
        try await TestServer.run { server in
            let today = server.context.clock.today(in: TimeZone(identifier: "Asia/Shanghai")!)
            let seeder = ProvinceSeeder(database: server.database, registry: server.context.registry)
            _ = try await seeder.run(.init(projects: 300, seed: 11, backlog: 30, asOf: today))
            try await expectTalliesMatchTheRows(server, when: "after the seed")

            // The backlog's default approvals reach the tallies as changes, not yet folded in.
            let batch = try await DeadlineSweeper(context: server.context).sweepBatch()
            #expect(batch.defaultApprovals > 0)
            #expect(try await server.count("SELECT count(*)::int FROM department_tally WHERE NOT compacted") > 0)
            try await expectTalliesMatchTheRows(server, when: "with changes not yet folded")

            // A live project, started and decided through the API.
            let code = try await server.createEnterpriseProject(name: "统计口径项目")
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            #expect(try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer).status == 200)
            try await expectTalliesMatchTheRows(server, when: "after a live decision")

            try await ReportTally.compact(in: server.database)
            #expect(try await server.count("SELECT count(*)::int FROM department_tally WHERE NOT compacted") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM project_tally WHERE NOT compacted") == 0)
            try await expectTalliesMatchTheRows(server, when: "after compaction")
        }
    }

    func expectTalliesMatchTheRows(_ server: TestServer, when: String) async throws {
        let logger = server.database.logger
        let (departments, counted, months, countedMonths) = try await server.database.read { connection in
            (try await LeaderReports.departments(regionPrefix: "33", on: connection, logger: logger).map(Self.line),
             try await Self.departmentsCounted(on: connection, logger: logger),
             try await LeaderReports.throughput(regionPrefix: "33", on: connection, logger: logger).map(Self.line),
             try await Self.throughputCounted(on: connection, logger: logger))
        }
        #expect(departments.count > 5, "\(when)")
        #expect(departments == counted, "\(when)")
        #expect(months.count > 12, "\(when)")
        #expect(months == countedMonths, "\(when)")
    }

    static func figure(_ value: Double?) -> String { value.map { String(format: "%.6f", $0) } ?? "-" }

    static func line(_ d: LeaderReports.DepartmentAccountability) -> String {
        [d.department, "\(d.decided)", figure(d.medianUsedDays), figure(d.p90UsedDays), figure(d.medianLimitDays), figure(d.onTimeRate),
         "\(d.defaultApprovalsTimeout)", "\(d.defaultApprovalsAbsence)", "\(d.repeatSupplementRequests)", "\(d.overdueFormalDocuments)",
         "\(d.openEscalations)"].joined(separator: " ")
    }

    static func line(_ m: LeaderReports.ThroughputMonth) -> String {
        "\(m.month) \(m.started) \(m.completed) \(figure(m.medianTotalDays)) \(figure(m.medianTotalLimit))"
    }

    /// The department report as it was computed before the tallies: straight from every item row.
    static func departmentsCounted(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var lines: [String] = []
        for try await (department, decided, median, p90, limit, onTime, timeout, absence, repeats, documents, escalations) in try await connection.query("""
            WITH scoped AS (
                SELECT i.*, i.state IN ('approved', 'rejected', 'default_approved') AS decided FROM items i
            ), documents AS (
                SELECT department, count(*)::int AS overdue FROM formal_documents WHERE overdue_on IS NOT NULL GROUP BY department
            )
            SELECT s.department, count(*) FILTER (WHERE decided)::int,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY used_days) FILTER (WHERE decided),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY used_days) FILTER (WHERE decided),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY limit_days) FILTER (WHERE decided),
                   (count(*) FILTER (WHERE state IN ('approved', 'rejected') AND used_days <= limit_days))::float8
                       / NULLIF(count(*) FILTER (WHERE decided), 0),
                   count(*) FILTER (WHERE default_reason = 'timeout')::int, count(*) FILTER (WHERE default_reason = 'absence')::int,
                   coalesce(sum(repeat_supplements), 0)::int, coalesce(max(documents.overdue), 0)::int,
                   count(*) FILTER (WHERE state = 'accepted' AND escalated_on IS NOT NULL)::int
            FROM scoped s LEFT JOIN documents ON documents.department = s.department
            WHERE s.state NOT IN ('not_applicable', 'exempted')
            GROUP BY s.department ORDER BY s.department
            """, logger: logger).decode((String, Int, Double?, Double?, Double?, Double?, Int, Int, Int, Int, Int).self) {
            lines.append([department, "\(decided)", figure(median), figure(p90), figure(limit), figure(onTime), "\(timeout)", "\(absence)",
                          "\(repeats)", "\(documents)", "\(escalations)"].joined(separator: " "))
        }
        return lines
    }

    static func throughputCounted(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var lines: [String] = []
        for try await (month, started, completed, days, limit) in try await connection.query("""
            WITH starts AS (
                SELECT to_char(started_on, 'YYYY-MM') AS month, count(*)::int AS projects FROM projects GROUP BY 1
            ), completions AS (
                SELECT to_char(completed_on, 'YYYY-MM') AS month, count(*)::int AS projects,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY used_days) AS days,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY total_limit) AS limit_days
                FROM projects WHERE completed_on IS NOT NULL GROUP BY 1
            )
            SELECT coalesce(s.month, c.month), coalesce(s.projects, 0), coalesce(c.projects, 0), c.days, c.limit_days
            FROM starts s FULL JOIN completions c ON c.month = s.month ORDER BY 1
            """, logger: logger).decode((String, Int, Int, Double?, Double?).self) {
            lines.append("\(month) \(started) \(completed) \(figure(days)) \(figure(limit))")
        }
        return lines
    }
}
