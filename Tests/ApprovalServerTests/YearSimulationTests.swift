import ApprovalStore
import Foundation
import Testing

/// One enterprise project through 2026 on the virtual clock, driven only through the API (issue 4 §7): the
/// clock is moved with POST /v1/admin/clock, which sweeps every midnight it passes, as the background sweeper
/// would. Dates are worked out by hand from the 2026 calendar (春节 02-15…02-23 with make-up Saturdays 02-14 and
/// 02-28; 清明 04-04…04-06).
@Suite("A year on the virtual clock", .timeLimit(.minutes(5)))
struct YearSimulationTests {
    /// Monday 2026-01-05 09:00 in Shanghai.
    static let newYear = Date(timeIntervalSince1970: 1_767_574_800)

    struct Simulation {
        let server: TestServer
        let code: String

        /// Moves the clock to 09:00 (Shanghai) on `date`, sweeping each midnight on the way.
        @discardableResult
        func on(_ date: String) async throws -> [String: Any] {
            let moved = try await server.call(.post, "/v1/admin/clock", as: .admin, json: #"{"set": "\#(date)T09:00:00+08:00"}"#)
            #expect(moved.status == 200, "\(moved.text)")
            #expect(moved.string("today") == date)
            return moved.json["swept"] as? [String: Any] ?? [:]
        }

        func act(_ item: String, _ actions: String..., as user: TestUser = .admin) async throws {
            for action in actions {
                if action == "accept" { try await server.attachEveryMaterial(code, item) }
                let reply = try await server.act(code, item, #"{"action": "\#(action)"}"#, as: user)
                #expect(reply.status == 200, "\(item) \(action): \(reply.text)")
            }
        }

        func status() async throws -> Reply { try await server.call(.get, "/v1/projects/\(code)", as: .admin) }
        func item(_ id: String) async throws -> [String: Any] { try await status().item(id) }
        func events() async throws -> [[String: Any]] {
            try await server.call(.get, "/v1/projects/\(code)/timeline", as: .admin).list("events")
        }
    }

    @Test func anEnterpriseProjectFromFilingToCompletionAcceptance() async throws {
        try await TestServer.run(start: Self.newYear, virtualClockControl: true) { server in
            let created = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "enterprise-investment", "name": "年度模拟项目", "region": "330302", "attributes": {
                  "approval-mode": "filing", "in-regional-assessment-zone": false, "land-supply": "transfer",
                  "annual-energy-tce": 1500, "land-area-sqm": 32000, "eia-category": "report-book",
                  "special-construction-project": true, "builds-civil-air-defence": false}}
                """)
            #expect(created.status == 201, "\(created.text)")
            let project = Simulation(server: server, code: try #require(created.string("code")))
            try await server.call(.put, "/v1/projects/\(project.code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)

            // Stage 1. The investor starts with the reviews that need nothing else, one after another, each
            // decided on its last day: the project clock runs, but the critical path does not move.
            try await project.act("energy-review", "submit", "accept")
            try await project.on("2026-01-19")  // 10 working days after 01-05
            try await project.act("energy-review", "approve")
            try await project.on("2026-01-20")
            try await project.act("soil-water-conservation", "submit", "accept")
            try await project.on("2026-02-03")
            try await project.act("soil-water-conservation", "approve")
            try await project.on("2026-02-04")
            try await project.act("project-filing", "submit")
            try await project.act("project-filing", "accept", as: .reviewer)
            try await project.on("2026-02-05")
            try await project.act("project-filing", "approve", as: .reviewer)
            try await project.act("eia-approval", "submit", "accept")

            // A supplement request before the Spring Festival; the materials come back after it.
            try await project.on("2026-02-12")
            let supplement = try await server.act(project.code, "eia-approval", """
                {"action": "suspend", "suspension": {"reason": "supplement", "missingMaterials": ["环境影响报告书（修改稿）", "公众参与说明"]}}
                """, as: .ecologyReviewer)
            #expect(supplement.status == 200, "\(supplement.text)")
            #expect(supplement.item("eia-approval")["usedDays"] as? Int == 5)  // 02-06, 02-09 … 02-12
            try await project.on("2026-02-25")
            #expect(try await project.item("eia-approval")["usedDays"] as? Int == 5)  // no days counted while it waited
            try await project.act("eia-approval", "resubmit", as: .investor)  // the clock runs again
            // 10 days left after 02-25: 02-26, 02-27, 02-28 (a make-up Saturday), 03-02 … 03-06, 03-09, 03-10.
            #expect(try await project.item("eia-approval")["deadline"] as? String == "2026-03-10")

            // Used 26 days by 02-25 (10 + 10 + 1 + 5) and 58 still ahead on the critical path: on 03-05 the
            // project has used 33, so the forecast (91) passes the 90-day limit — yellow, with nothing overdue.
            try await project.on("2026-03-04")
            #expect((try await project.status().json["clock"] as? [String: Any])?["warning"] as? String == "none")
            try await project.on("2026-03-05")
            let yellow = try await project.status()
            let clock = try #require(yellow.json["clock"] as? [String: Any])
            #expect(clock["warning"] as? String == "yellow")
            #expect(clock["usedDays"] as? Int == 33)
            #expect((yellow.json["forecast"] as? [String: Any])?["totalDays"] as? Int == 91)
            #expect(yellow.list("items").allSatisfy { $0["overdue"] as? Bool != true })
            let warning = try #require(try await project.events().first { $0["kind"] as? String == "warning.project" })
            #expect(warning["on"] as? String == "2026-03-05")
            #expect((warning["detail"] as? String)?.contains("forecast") == true, "\(warning)")
            #expect(try await server.call(.get, "/v1/notifications", as: .agent).list("notifications")
                .contains { $0["kind"] as? String == "warning.project" })

            try await project.on("2026-03-10")
            try await project.act("eia-approval", "approve", as: .ecologyReviewer)
            try await project.on("2026-03-11")
            try await project.act("land-use-planning-permit", "submit", "accept")
            try await project.on("2026-03-12")
            try await project.act("land-use-planning-permit", "approve")

            // Stage 2. The planning department lets its design review run out: deemed approved (超时默认).
            try await project.on("2026-03-13")
            try await project.act("design-scheme-review", "submit", "accept")
            try await project.on("2026-03-27")  // the 10th working day: still open, not yet overdue
            #expect(try await project.item("design-scheme-review")["state"] as? String == "accepted")
            let swept = try await project.on("2026-03-30")
            #expect(swept["defaultApprovals"] as? Int == 1)
            let review = try await project.item("design-scheme-review")
            #expect(review["state"] as? String == "default_approved")
            #expect(review["defaultApprovalReason"] as? String == "timeout")
            #expect(review["stateSince"] as? String == "2026-03-28")  // the day after its deadline
            let document = try #require(review["formalDocument"] as? [String: Any])
            #expect(document["dueOn"] as? String == "2026-03-30")  // 1 working day after 03-28
            let issued = try await server.act(project.code, "design-scheme-review",
                                              #"{"action": "recordFormalDocument", "documentNumber": "鹿自然资规〔2026〕31号"}"#, as: .planningReviewer)
            #expect(issued.status == 200, "\(issued.text)")
            #expect(try await project.item("construction-planning-permit")["state"] as? String == "ready")
            try await project.act("construction-planning-permit", "submit", "accept")
            try await project.on("2026-03-31")
            try await project.act("construction-planning-permit", "approve")

            // Stage 3, in parallel, each decided the next day.
            let stage3 = ["construction-drawing-review", "fire-safety-design-review", "lightning-protection-design",
                          "water-connection", "power-connection", "telecom-connection"]
            try await project.on("2026-04-01")
            for item in stage3 { try await project.act(item, "submit", "accept") }
            try await project.on("2026-04-02")
            for item in stage3 { try await project.act(item, "approve") }
            try await project.act("construction-permit-issuance", "submit", "accept")
            try await project.on("2026-04-03")
            try await project.act("construction-permit-issuance", "approve")

            // Stage 4: a joint acceptance (联合验收). Planning stays away without leave: its verification is deemed
            // approved (缺席默认). Fire safety attends but does not decide in time: escalated, never approved silently.
            try await project.on("2026-04-07")
            let acceptance = ["planning-verification", "fire-safety-acceptance", "lightning-protection-acceptance"]
            for item in acceptance { try await project.act(item, "submit", "accept") }
            let meeting = try await server.call(.post, "/v1/projects/\(project.code)/meetings", as: .coordinator, json: """
                {"kind": "joint_acceptance", "stage": "completion-acceptance", "scheduledOn": "2026-04-09", "invitations": [
                  {"department": "natural-resources-planning", "items": ["planning-verification"]},
                  {"department": "fire-safety-review", "items": ["fire-safety-acceptance"]},
                  {"department": "meteorology", "items": ["lightning-protection-acceptance"]}]}
                """)
            #expect(meeting.status == 201, "\(meeting.text)")
            try await project.on("2026-04-09")
            let closed = try await server.call(.post, "/v1/projects/\(project.code)/meetings/\(meeting.int("id") ?? 0)/close",
                                               as: .coordinator, json: """
                {"attendance": [{"department": "natural-resources-planning", "status": "absent"},
                                {"department": "fire-safety-review", "status": "attended"},
                                {"department": "meteorology", "status": "attended", "promisedDays": [{"item": "lightning-protection-acceptance", "days": 2}]}]}
                """)
            #expect(closed.status == 200, "\(closed.text)")
            #expect(closed.item("planning-verification")["state"] as? String == "default_approved")
            #expect(closed.item("planning-verification")["defaultApprovalReason"] as? String == "absence")
            #expect(closed.item("lightning-protection-acceptance")["deadline"] as? String == "2026-04-13")
            try await project.on("2026-04-13")
            try await project.act("lightning-protection-acceptance", "approve")

            // Fire-safety acceptance, accepted 04-07 with 15 working days: deadline 04-28; escalated on 04-29.
            #expect(try await project.item("fire-safety-acceptance")["deadline"] as? String == "2026-04-28")
            let escalated = try await project.on("2026-04-30")
            #expect(escalated["escalations"] as? Int == 1)
            #expect(escalated["defaultApprovals"] as? Int == 0)
            let fire = try await project.item("fire-safety-acceptance")
            #expect(fire["state"] as? String == "accepted")
            #expect(fire["warning"] as? String == "red")
            let escalation = try #require(try await project.events().first { $0["kind"] as? String == "item.escalate" })
            #expect(escalation["on"] as? String == "2026-04-29")
            #expect(try await server.call(.get, "/v1/notifications", as: .leader).list("notifications")
                .contains { $0["kind"] as? String == "item.escalate" })
            try await project.act("fire-safety-acceptance", "approve")
            try await project.act("completion-acceptance-filing", "submit", "accept")
            try await project.on("2026-05-06")
            try await project.act("completion-acceptance-filing", "approve")

            // Completed. The rest of the year passes without anything happening to it.
            #expect(try await project.status().json["state"] as? String == "completed")
            let before = try await project.events().count
            let yearEnd = try await project.on("2026-12-31")
            #expect(yearEnd["defaultApprovals"] as? Int == 0 && yearEnd["escalations"] as? Int == 0)
            #expect(try await project.events().count == before)

            // The yellow forecast came before any item was overdue; one default approval each of timeout and
            // absence; the escalation once; and the chain holds.
            let kinds = try await project.events().compactMap { $0["kind"] as? String }
            let firstYellow = try #require(kinds.firstIndex(of: "warning.project"))
            #expect(firstYellow < (kinds.firstIndex(of: "item.default_approve") ?? 0))
            #expect(kinds.filter { $0 == "item.default_approve" }.count == 2)
            #expect(kinds.filter { $0 == "item.escalate" }.count == 1)
            #expect(try await server.count("SELECT count(*)::int FROM projects WHERE next_due_at IS NOT NULL") == 0)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
            // Every write after the first loaded the project from its snapshot: a year of them equals the replay.
            #expect(try await server.count("SELECT count(*)::int FROM projects WHERE snapshot IS NOT NULL") > 0)
            let mismatches = try await server.database.read { connection in
                var mismatches: [String] = []
                for row in try await connection.query("SELECT code FROM projects WHERE snapshot IS NOT NULL", logger: server.database.logger).collect() {
                    let record = try #require(try await ProjectRepository.find(code: try row.decode(String.self), on: connection,
                                                                               logger: server.database.logger))
                    var unsnapshotted = record
                    unsnapshotted.snapshot = nil
                    let restored = try await ProjectRepository.load(record, registry: server.context.registry, on: connection, logger: server.database.logger)
                    let replayed = try await ProjectRepository.load(unsnapshotted, registry: server.context.registry, on: connection,
                                                                    logger: server.database.logger)
                    if restored != replayed { mismatches.append(record.code) }
                }
                return mismatches
            }
            #expect(mismatches.isEmpty)
        }
    }
}
