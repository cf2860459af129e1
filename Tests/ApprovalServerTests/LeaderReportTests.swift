import ApprovalServer
import ApprovalStore
import Foundation
import Testing

/// The leaders' reports against small fixtures worked out by hand on the 2026 calendar: 国庆/中秋 off 10-01…10-07,
/// the make-up Saturday 10-10.
@Suite("Leaders' reports", .timeLimit(.minutes(5)))
struct LeaderReportTests {
    /// Tuesday 2026-09-29 09:00 in Shanghai.
    static let start = Date(timeIntervalSince1970: 1_790_643_600)
    static let day: TimeInterval = 86_400

    func lowRiskProject(_ server: TestServer, name: String) async throws -> String {
        let reply = try await server.call(.post, "/v1/projects", as: .investor, json: """
            {"workflow": "low-risk", "name": "\(name)", "region": "330302", "attributes": {"building-area-sqm": 800, "needs-water-connection": false}}
            """)
        #expect(reply.status == 201, "\(reply.text)")
        return reply.string("code") ?? ""
    }

    func acceptFiling(_ server: TestServer, _ code: String) async throws {
        try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
        try await server.attachEveryMaterial(code, "project-filing")
        #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer).status == 200)
    }

    @Test func overdueAtRiskAndDepartmentFiguresMatchTheHandCount() async throws {
        try await TestServer.run(start: Self.start) { server in
            // 09-29: three filings accepted (limit 1: due the end of 09-30); the third decided on time on 09-30.
            let p1 = try await server.createEnterpriseProject(name: "温州示范厂房,一期")
            try await acceptFiling(server, p1)
            let p4 = try await lowRiskProject(server, name: "小微仓库")
            try await acceptFiling(server, p4)
            let p3 = try await server.createEnterpriseProject(name: "按时项目")
            try await acceptFiling(server, p3)
            // Two supplement requests on one item: one beyond the first (一次性告知 failure).
            try await server.act(p3, "energy-review", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(p3, "energy-review")
            try await server.act(p3, "energy-review", #"{"action": "accept"}"#, as: .reviewer)
            for _ in 0..<2 {
                try await server.act(p3, "energy-review", #"{"action": "suspend", "suspension": {"reason": "supplement", "missingMaterials": ["能评报告"]}}"#,
                                     as: .reviewer)
                try await server.act(p3, "energy-review", #"{"action": "resubmit"}"#, as: .investor)
            }
            server.clock.advance(by: Self.day)  // 09-30
            #expect(try await server.act(p3, "project-filing", #"{"action": "approve"}"#, as: .reviewer).status == 200)

            // 10-12, no sweep yet. The low-risk project is touched, so its summary is as of today: used (09-29, 10-12]
            // = 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12 = 5; the rest of its path 2+5+2+5+2 = 16; forecast 21 > 20.
            server.clock.advance(by: Self.day * 12)
            #expect(try await server.call(.patch, "/v1/projects/\(p4)", as: .investor, json: #"{"name": "小微仓库（扩建）"}"#).status == 200)

            // Overdue as of 10-09: the two open filings, 2 working days over each (10-08, 10-09), not 7 weekdays:
            // the National Day holiday lies inside the span.
            let overdue = try await server.call(.get, "/v1/reports/overdue?asOf=2026-10-09", as: .leader)
            #expect(overdue.status == 200, "\(overdue.text)")
            #expect(overdue.int("total") == 2)
            let groups = overdue.list("groups")
            #expect(groups.map { $0["label"] as? String } == ["发展和改革局"])
            let items = groups.first?["items"] as? [[String: Any]] ?? []
            #expect(Set(items.compactMap { $0["project"] as? String }) == [p1, p4])
            #expect(items.allSatisfy { $0["workingDaysOver"] as? Int == 2 && $0["state"] as? String == "open" && $0["deadline"] as? String == "2026-09-30" })
            #expect(items.contains { $0["itemName"] as? String == "企业投资项目备案" })
            let byStage = try await server.call(.get, "/v1/reports/overdue?asOf=2026-10-09&groupBy=stage", as: .coordinator)
            #expect(byStage.list("groups").first?["count"] as? Int == 2)
            // A province has tens of thousands: each group lists its most overdue items up to itemsPerGroup, and
            // still counts them all; the CSV export lists every one.
            let capped = try await server.call(.get, "/v1/reports/overdue?asOf=2026-10-09&itemsPerGroup=1", as: .leader)
            #expect(capped.list("groups").first?["count"] as? Int == 2)
            #expect((capped.list("groups").first?["items"] as? [[String: Any]])?.count == 1)
            #expect(capped.int("total") == 2)
            let export = try await server.call(.get, "/v1/reports/overdue?asOf=2026-10-09&itemsPerGroup=1&format=csv", as: .leader)
            #expect(export.text.contains(p1) && export.text.contains(p4))
            let refused = try await server.call(.get, "/v1/reports/overdue?itemsPerGroup=0", as: .leader)
            #expect(refused.status == 422 && refused.string("field") == "itemsPerGroup", "\(refused.text)")

            let atRisk = try await server.call(.get, "/v1/reports/at-risk", as: .leader)
            let risky = atRisk.list("projects")
            #expect(risky.map { $0["project"] as? String } == [p4], "\(atRisk.text)")
            #expect(risky.first?["usedDays"] as? Int == 5 && risky.first?["forecastDays"] as? Int == 21 && risky.first?["totalLimit"] as? Int == 20)
            #expect((risky.first?["criticalPath"] as? [String])?.first == "企业投资项目备案")

            // 10-15: the sweeper default-approves the two overdue filings (dated 10-01) and a filing accepted 10-12
            // (due 10-13, dated 10-14); the two formal documents due 10-08 are overdue, the one due 10-15 is not yet.
            let p2 = try await server.createEnterpriseProject(name: "十月项目")
            try await acceptFiling(server, p2)
            server.clock.advance(by: Self.day * 3)
            #expect(try await DeadlineSweeper(context: server.context).sweepAll().defaultApprovals == 3)
            let later = try await server.call(.get, "/v1/reports/overdue?asOf=2026-10-15", as: .leader)
            let defaulted = (later.list("groups").first?["items"] as? [[String: Any]] ?? [])
            #expect(defaulted.allSatisfy { $0["state"] as? String == "default_approved" })
            #expect(Dictionary(uniqueKeysWithValues: defaulted.compactMap { item in (item["project"] as? String).map { ($0, item["workingDaysOver"] as? Int) } })
                    == [p1: 0, p4: 0, p2: 1])  // 10-01 is a holiday; 10-14 is one working day past 10-13
            // Default approvals are listed for 30 days: the ones dated 10-01 (deadline 09-30) until 10-30, the one
            // dated 10-14 (deadline 10-13) until 11-12.
            func defaultApproved(asOf day: String) async throws -> [String] {
                let reply = try await server.call(.get, "/v1/reports/overdue?asOf=\(day)", as: .leader)
                return reply.list("groups").flatMap { $0["items"] as? [[String: Any]] ?? [] }
                    .filter { $0["state"] as? String == "default_approved" }.compactMap { $0["project"] as? String }.sorted()
            }
            #expect(try await defaultApproved(asOf: "2026-10-30") == [p1, p2, p4].sorted())
            #expect(try await defaultApproved(asOf: "2026-11-01") == [p2])
            #expect(try await defaultApproved(asOf: "2026-11-13") == [])

            let departments = try await server.call(.get, "/v1/reports/departments", as: .leader)
            let reform = try #require(departments.list("departments").first { $0["department"] as? String == "development-reform" })
            #expect(reform["name"] as? String == "发展和改革局")
            #expect(reform["decided"] as? Int == 4)
            #expect(reform["onTimeRate"] as? Double == 0.25)
            #expect(reform["defaultApprovalsTimeout"] as? Int == 3 && reform["defaultApprovalsAbsence"] as? Int == 0)
            #expect(reform["repeatSupplementRequests"] as? Int == 1)
            #expect(reform["overdueFormalDocuments"] as? Int == 2)
            #expect(reform["openEscalations"] as? Int == 0)

            let throughput = try await server.call(.get, "/v1/reports/throughput", as: .leader).list("months")
            #expect(throughput.map { $0["month"] as? String } == ["2026-09", "2026-10"])
            #expect(throughput.map { $0["started"] as? Int } == [3, 1])

            // Outside the caller's jurisdiction, or not a leader's report: refused. Another region sees none of it.
            #expect(try await server.call(.get, "/v1/reports/overdue?region=330100", as: .coordinator).status == 403)
            #expect(try await server.call(.get, "/v1/reports/overdue", as: .reviewer).status == 403)
            #expect(try await server.call(.get, "/v1/reports/overdue?asOf=2026-10-15", as: .otherRegionCoordinator).int("total") == 0)
        }
    }

    @Test func projectsFromBeforeTheReportColumnsAreBackfilled() async throws {
        try await TestServer.run(start: Self.start) { server in
            let code = try await lowRiskProject(server, name: "旧项目")
            try await acceptFiling(server, code)
            // As a project written before migration 0008 looks.
            try await server.sql("UPDATE projects SET calendar_id = NULL")
            server.clock.advance(by: Self.day * 10)
            #expect(try await server.call(.get, "/v1/reports/overdue", as: .leader).int("total") == 0)
            let migration = try String(contentsOf: projectRoot.appending(path: "Migrations/0010_report_backfill.sql"), encoding: .utf8)
            for statement in migration.components(separatedBy: ";\n") where statement.contains("UPDATE") {
                try await server.sql(statement)
            }
            #expect(try await server.call(.get, "/v1/reports/overdue", as: .leader).int("total") == 1)
        }
    }

    @Test func csvIsUTF8WithAByteOrderMarkAndQuotesWhatNeedsIt() async throws {
        try await TestServer.run(start: Self.start) { server in
            let code = try await server.createEnterpriseProject(name: #"温州示范厂房,一期 \"A\""#)  // JSON-escaped quotes
            try await acceptFiling(server, code)
            server.clock.advance(by: Self.day * 10)
            let reply = try await server.call(.get, "/v1/reports/overdue?format=csv", as: .leader)
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type")?.hasPrefix("text/csv") == true)
            #expect(reply.text.hasPrefix("\u{FEFF}分组,项目代码,项目名称,事项,部门"))
            let lines = reply.text.components(separatedBy: "\r\n")
            #expect(lines.count == 3 && lines[2].isEmpty)  // heading, one item, and the final line break
            #expect(lines[1].contains(#""温州示范厂房,一期 ""A""""#), "\(lines[1])")
            #expect(lines[1].contains("发展和改革局") && lines[1].contains("未办结"))
        }
    }

    /// A name an investor typed is a cell a spreadsheet never runs as a formula (CSV injection).
    @Test func csvCellsThatLookLikeFormulasAreInert() async throws {
        try await TestServer.run(start: Self.start) { server in
            let code = try await server.createEnterpriseProject(name: "=HYPERLINK(\\\"http://evil.example/\\\",\\\"点击\\\")")
            try await acceptFiling(server, code)
            server.clock.advance(by: Self.day * 10)
            let reply = try await server.call(.get, "/v1/reports/overdue?format=csv", as: .leader)
            #expect(reply.status == 200)
            let cells = reply.text.components(separatedBy: "\r\n")[1]
            #expect(cells.contains(#""'=HYPERLINK(""http://evil.example/"",""点击"")""#), "\(cells)")
            #expect(!cells.contains(#",=HYPERLINK"#) && !cells.contains(#","=HYPERLINK"#))
            // The same report as JSON keeps the name as typed.
            let json = try await server.call(.get, "/v1/reports/overdue", as: .leader)
            #expect(json.text.contains("=HYPERLINK"))
        }
    }

    @Test func theCommandLinePrintsTheSameReport() async throws {
        try await TestServer.run(start: Self.start) { server in
            let code = try await server.createEnterpriseProject(name: "命令行项目")
            try await acceptFiling(server, code)
            let table = try await LeaderReportRendering.render(.overdue, context: server.context, region: "330302", asOf: .init(iso: "2026-10-09")!,
                                                               groupBy: "agent", format: .table)
            #expect(table.contains("超期事项（截至 2026-10-09，330302）"))
            #expect(table.contains("命令行项目") && table.contains("（未指派代办员）"))
            let json = try await LeaderReportRendering.render(.overdue, context: server.context, region: nil, asOf: .init(iso: "2026-10-09")!,
                                                              groupBy: "department", format: .json)
            #expect(json.contains(#""workingDaysOver" : 2"#))
            await #expect(throws: ReportRenderingError.self) {
                try await LeaderReportRendering.render(.overdue, context: server.context, region: nil, asOf: .init(iso: "2026-10-09")!,
                                                       groupBy: "weather", format: .json)
            }
        }
    }
}
