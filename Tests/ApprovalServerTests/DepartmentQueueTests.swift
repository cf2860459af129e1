import ApprovalServer
import Foundation
import Testing

/// The department window's queue (待办): what waits for it, the most urgent first, and nothing of another department's.
@Suite("The department's queue", .timeLimit(.minutes(5)))
struct DepartmentQueueTests {
    /// A clerk opens the queue's CSV in a spreadsheet: a project name an investor typed as a formula stays text.
    @Test func theQueuesCSVKeepsFormulasInert() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject(name: "@SUM(1+1)*cmd|' /C calc'!A0")
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            let csv = try await server.call(.get, "/v1/queue?format=csv", as: .reviewer)
            #expect(csv.status == 200)
            let row = try #require(csv.text.components(separatedBy: "\r\n").first { $0.contains(code) })
            #expect(row.contains("'@SUM(1+1)*cmd|' /C calc'!A0") && !row.contains(",@SUM"), "\(row)")
            // As JSON the name stays as typed.
            let entries = try await server.call(.get, "/v1/queue", as: .reviewer).list("entries")
            #expect(entries.contains { $0["projectName"] as? String == "@SUM(1+1)*cmd|' /C calc'!A0" }, "\(entries)")
        }
    }

    @Test func aReviewerSeesWhatWaitsForTheirDepartmentMostUrgentFirst() async throws {
        try await TestServer.run { server in
            let filing = "project-filing"
            func accepted(_ name: String) async throws -> String {
                let code = try await server.createEnterpriseProject(name: name)
                try await server.act(code, filing, #"{"action": "submit"}"#, as: .investor)
                try await server.attachEveryMaterial(code, filing)
                try await server.act(code, filing, #"{"action": "accept"}"#, as: .reviewer)
                return code
            }
            let submitted = try await server.createEnterpriseProject(name: "待受理")
            try await server.act(submitted, filing, #"{"action": "submit"}"#, as: .investor)
            let waiting = try await accepted("待补正")
            try await server.act(waiting, filing, #"{"action": "suspend", "suspension": {"reason": "supplement", "requirements": ["filing-form"]}}"#,
                                 as: .reviewer)
            let deemed = try await accepted("超时默认")
            // A committed 容缺 acceptance of the energy review (the same department's).
            try await server.act(deemed, "energy-review", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(deemed, "energy-review")
            try await server.call(.delete, "/v1/projects/\(deemed)/items/energy-review/materials/equipment-list", as: .investor)
            let committed = try await server.act(deemed, "energy-review", """
                {"action": "accept", "commitment": {"requirements": ["equipment-list"], "dueDate": "2026-03-20"}}
                """, as: .reviewer)
            #expect(committed.status == 200, "\(committed.text)")
            server.clock.advance(by: 86_400 * 2)  // Wednesday: the first filings' one working day has passed
            _ = try await DeadlineSweeper(context: server.context).sweepAll()
            let later = try await accepted("后受理")

            let queue = try await server.call(.get, "/v1/queue", as: .reviewer)
            #expect(queue.status == 200, "\(queue.text)")
            let counts = try #require(queue.json["counts"] as? [String: Int])
            #expect(counts == ["to_accept": 1, "to_decide": 2, "extensions_to_decide": 0, "formal_documents_owed": 1,
                               "commitments_due": 1, "waiting_on_applicant": 1], "\(counts)")
            let entries = queue.list("entries")
            let deciding = entries.filter { $0["bucket"] as? String == "to_decide" }
            // The filing accepted today (one working day: due tomorrow, yellow) before the energy review accepted on Monday
            // (ten working days).
            #expect(deciding.map { $0["project"] as? String } == [later, deemed], "\(deciding)")
            #expect(deciding.first?["remainingDays"] as? Int == 1 && deciding.first?["warning"] as? String == "yellow", "\(deciding)")
            #expect(deciding.last?["remainingDays"] as? Int == 8 && deciding.last?["warning"] as? String == "none", "\(deciding)")
            #expect(deciding.first?["itemName"] as? String != filing)
            let owed = try #require(entries.first { $0["bucket"] as? String == "formal_documents_owed" })
            #expect(owed["project"] as? String == deemed && owed["dueOn"] != nil)
            #expect(entries.first { $0["bucket"] as? String == "commitments_due" }?["dueOn"] as? String == "2026-03-20")
            let suspended = entries.first { $0["bucket"] as? String == "waiting_on_applicant" }
            #expect(suspended?["project"] as? String == waiting)
            #expect((suspended?["waitingFor"] as? String)?.hasPrefix("补正材料: 企业投资项目备案信息表") == true, "\(String(describing: suspended))")
            #expect(entries.first { $0["bucket"] as? String == "to_accept" }?["project"] as? String == submitted)

            // One bucket, paged; as CSV for a spreadsheet.
            let page = try await server.call(.get, "/v1/queue?bucket=to_decide&limit=1&offset=1", as: .reviewer).list("entries")
            #expect(page.map { $0["project"] as? String } == [deemed])
            let csv = try await server.call(.get, "/v1/queue?format=csv", as: .reviewer)
            #expect(csv.text.hasPrefix("\u{FEFF}类别,项目代码") && csv.text.contains(submitted), "\(csv.text)")

            // Another department's window sees none of it; the coordinator sees it by department.
            let other = try await server.call(.get, "/v1/queue", as: .ecologyReviewer)
            #expect((other.json["counts"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true, "\(other.text)")
            #expect(try await server.call(.get, "/v1/queue?department=development-reform", as: .ecologyReviewer).status == 403)
            let coordinator = try await server.call(.get, "/v1/queue?department=development-reform", as: .coordinator)
            #expect(coordinator.json["counts"] as? [String: Int] == counts, "\(coordinator.text)")
            #expect(coordinator.json["byDepartment"] == nil && queue.json["byDepartment"] == nil, "one department's queue has no breakdown")
            // Reading every department, the coordinator sees where the work waits, department by department.
            let region = try await server.call(.get, "/v1/queue", as: .coordinator)
            let rows = region.list("byDepartment")
            let reform = try #require(rows.first { $0["department"] as? String == "development-reform" }, "\(region.text)")
            #expect(reform["name"] as? String == "发展和改革局" && reform["counts"] as? [String: Int] == counts, "\(reform)")
            let summed = rows.compactMap { $0["counts"] as? [String: Int] }.reduce(into: [String: Int]()) { $0.merge($1, uniquingKeysWith: +) }
            #expect(summed == region.json["counts"] as? [String: Int], "the region's counts are its departments' summed")
            let unknown = try await server.call(.get, "/v1/queue?department=nowhere", as: .coordinator)
            #expect(unknown.status == 422 && unknown.string("field") == "department")
            #expect(try await server.call(.get, "/v1/queue", as: .investor).status == 403)
        }
    }
}
