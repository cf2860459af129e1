import ApprovalCore
import ApprovalSeed
import ApprovalServer
import ApprovalStore
import Foundation
import PostgresNIO
import Testing

/// The forecast from history on a generated province: the departments' paces read from the tally are the medians
/// and p90s of their decided items' rows (city first, the province where the city decided too few), and a new
/// project's expected forecast is its dependency graph walked at those paces; the at-risk report lists a project
/// whose expected path passes its total limit while the legal forecast does not.
@Suite("Forecast from history", .timeLimit(.minutes(5)))
struct ForecastFromHistoryTests {
    /// The medians and p90s of each department's decided items over the last 12 months, straight from the item rows:
    /// in the city of `region` when it decided at least `DepartmentPaces.minimumDecided`, else in its province.
    static func pacesFromRows(_ server: TestServer, region: String, since: String) async throws -> [String: DepartmentPace] {
        let rows = try await server.database.read { connection in
            try await connection.query("""
                WITH decided AS (
                    SELECT i.department, i.used_days, starts_with(p.region, \(String(region.prefix(4)))) AS in_city
                    FROM items i JOIN projects p ON p.id = i.project_id
                    WHERE i.state IN ('approved', 'rejected', 'default_approved') AND to_char(i.state_since, 'YYYY-MM') >= \(since)
                      AND starts_with(p.region, \(String(region.prefix(2))))
                ), city AS (
                    SELECT department, count(*)::int AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY used_days) AS median,
                           percentile_cont(0.9) WITHIN GROUP (ORDER BY used_days) AS p90
                    FROM decided WHERE in_city GROUP BY department
                ), province AS (
                    SELECT department, count(*)::int AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY used_days) AS median,
                           percentile_cont(0.9) WITHIN GROUP (ORDER BY used_days) AS p90
                    FROM decided GROUP BY department
                )
                SELECT p.department, CASE WHEN c.n >= \(DepartmentPaces.minimumDecided) THEN c.n ELSE p.n END,
                       CASE WHEN c.n >= \(DepartmentPaces.minimumDecided) THEN c.median ELSE p.median END,
                       CASE WHEN c.n >= \(DepartmentPaces.minimumDecided) THEN c.p90 ELSE p.p90 END
                FROM province p LEFT JOIN city c USING (department)
                WHERE p.n >= \(DepartmentPaces.minimumDecided)
                """, logger: server.database.logger).collect()
        }
        var paces: [String: DepartmentPace] = [:]
        for row in rows {
            let (department, decided, median, p90) = try row.decode((String, Int, Double, Double).self)
            paces[department] = DepartmentPace(median: median, p90: p90, decided: decided)
        }
        return paces
    }

    @Test func aNewProjectIsForecastAtItsDepartmentsRecentPacesFromGeneratedHistory() async throws {
        try await TestServer.run { server in
            let today = server.context.today
            let seeder = ProvinceSeeder(database: server.database, registry: server.context.registry)
            _ = try await seeder.run(.init(projects: 400, seed: 25, asOf: today, spanDays: 400))
            let since = String(format: "%04d-%02d", 2025, 4)  // the 12 months up to March 2026

            let expectedPaces = try await Self.pacesFromRows(server, region: "330302", since: since)
            #expect(expectedPaces.count >= 3, "the generated year decides items of several departments: \(expectedPaces)")
            let tallied = try await server.database.read {
                try await DepartmentPaces.load(sinceMonth: since, on: $0, logger: server.database.logger)
            }.paces(forRegion: "330302")
            #expect(Set(tallied.keys) == Set(expectedPaces.keys))
            for (department, pace) in expectedPaces {
                let read = try #require(tallied[department])
                #expect(read.decided == pace.decided && abs(read.median - pace.median) < 1e-9 && abs(read.p90 - pace.p90) < 1e-9,
                        "\(department): tally \(read), rows \(pace)")
            }

            // A new project: every applicable item open, each expected to take its department's median.
            let code = try await server.createEnterpriseProject(name: "按历史预计测试项目")
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            let forecast = try #require(status.json["expectedForecast"] as? [String: Any], "\(status.text)")
            // The same walk (ExpectedForecastTests) at the paces counted from the rows.
            let project = try await server.database.read { connection -> Project in
                let record = try #require(try await ProjectRepository.find(code: code, on: connection, logger: server.database.logger))
                return try await ProjectRepository.load(record, registry: server.context.registry, on: connection, logger: server.database.logger)
            }
            let walked = ExpectedForecast(project: project, usedDays: 0, asOf: today, calendar: server.context.registry.calendar(for: project.workflow),
                                          paces: expectedPaces)
            #expect(forecast["totalDays"] as? Int == walked.totalDays && forecast["totalDaysP90"] as? Int == walked.totalDaysP90, "\(forecast)")
            #expect(forecast["criticalPath"] as? [String] == walked.criticalPath && forecast["completionDate"] as? String == walked.completionDate?.value.description)
            #expect(forecast["itemsAtLegalLimit"] as? [String] == walked.itemsAtLegalLimit)
            #expect(walked.itemsAtLegalLimit.count < project.items.filter { !$0.state.hasEnded }.count, "some items have a pace: \(walked)")
            #expect(forecast["passesTotalLimit"] as? Bool == walked.passesTotalLimit)
        }
    }

    @Test func aProjectExpectedPastItsTotalLimitIsAtRiskBeforeTheLegalForecastTurnsYellow() async throws {
        try await TestServer.run { server in
            // Wenzhou's development and reform windows have lately taken 70 working days over a filing.
            try await server.sql("""
                INSERT INTO department_pace (city, department, month, used_days, items, compacted)
                VALUES ('330300', 'development-reform', '2026-02', 70, 30, true), ('330300', 'development-reform', '2026-01', 72, 10, true)
                """)
            let code = try await server.createEnterpriseProject(name: "发改窗口积压项目")
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            let forecast = try #require(status.json["expectedForecast"] as? [String: Any], "\(status.text)")
            #expect(forecast["passesTotalLimit"] as? Bool == true, "\(forecast)")
            #expect((forecast["criticalPath"] as? [String])?.first == "project-filing")
            let clock = try #require(status.json["clock"] as? [String: Any])
            #expect(clock["warning"] as? String == "none", "the legal forecast alone sees no risk: \(status.text)")

            let report = try await server.call(.get, "/v1/reports/at-risk", as: .leader)
            let row = try #require(report.list("projects").first { $0["project"] as? String == code }, "\(report.text)")
            #expect(row["expectedPassesLimit"] as? Bool == true && (row["expectedDays"] as? Int ?? 0) > (row["totalLimit"] as? Int ?? 0), "\(row)")
            #expect((row["forecastDays"] as? Int ?? 0) <= (row["totalLimit"] as? Int ?? 0))
            let csv = try await server.call(.get, "/v1/reports/at-risk?format=csv", as: .leader)
            #expect(csv.text.contains("按历史预计工作日") && csv.text.contains(code))
        }
    }
}
