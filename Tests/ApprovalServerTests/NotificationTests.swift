import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import Testing

@Suite("Notifications: who hears about what, written with the event", .timeLimit(.minutes(5)))
struct NotificationTests {
    static let day: TimeInterval = 86_400

    func inbox(_ server: TestServer, _ user: TestUser) async throws -> [[String: Any]] {
        let reply = try await server.call(.get, "/v1/notifications", as: user)
        #expect(reply.status == 200, "\(reply.text)")
        return reply.list("notifications")
    }

    func kinds(_ server: TestServer, _ user: TestUser) async throws -> [String] {
        try await inbox(server, user).compactMap { $0["kind"] as? String }
    }

    @Test func theInvestorAndTheAgentHearOfAcceptanceAndTheFullSupplementListButTheActorDoesNot() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer)
            let permit = "land-use-planning-permit"
            try await server.act(code, permit, #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, permit)
            try await server.act(code, permit, #"{"action": "accept"}"#, as: .planningReviewer)
            let suspended = try await server.act(code, permit, """
                {"action": "suspend", "suspension": {"reason": "supplement", "missingMaterials": ["宗地图", "规划条件"]}}
                """, as: .planningReviewer)
            #expect(suspended.status == 200, "\(suspended.text)")

            let expected = ["item.suspend", "item.accept", "item.approve", "item.accept", "agent.assigned"]
            #expect(try await kinds(server, .investor) == expected)
            #expect(try await kinds(server, .agent) == expected)
            let request = try #require(try await inbox(server, .investor).first)
            #expect(request["title"] as? String == "请一次性补正材料")
            #expect(request["audience"] as? String == "investor")
            #expect(request["item"] as? String == permit)
            #expect((request["project"] as? [String: Any])?["code"] as? String == code)
            #expect((request["event"] as? [String: Any])?["missingMaterials"] as? [String] == ["宗地图", "规划条件"])
            #expect(try await inbox(server, .agent).first?["audience"] as? String == "agent")
            // The reviewers acted themselves; other organisations, other agents and leaders are not told.
            for user in [TestUser.reviewer, .planningReviewer, .otherInvestor, .otherAgent, .leader, .coordinator] {
                #expect(try await kinds(server, user).isEmpty, "\(user)")
            }
            // Paging goes backwards by id.
            let newest = try #require(request["id"] as? Int)
            let older = try await server.call(.get, "/v1/notifications?before=\(newest)&limit=1", as: .investor).list("notifications")
            #expect(older.map { $0["kind"] as? String } == ["item.accept"])
            #expect(try await server.call(.get, "/v1/notifications?limit=0", as: .investor).status == 422)
        }
    }

    /// With `leadSees` false the lead department has no item that applies to the project, so it may not see the
    /// project, and hears nothing of it either.
    @Test(arguments: [true, false])
    func anEscalationReachesTheDepartmentTheLeadDepartmentTheLeadersAndTheAgent(leadSees: Bool) async throws {
        try await TestServer.run { server in
            func reviewer(_ name: String, _ department: String) async throws -> String {
                let created = try await server.call(.post, "/v1/users", as: .admin, json: """
                    {"name": "\(name)", "role": "reviewer", "region": "330302", "department": "\(department)"}
                    """)
                return try #require((created.json["token"] as? [String: Any])?["token"] as? String)
            }
            func inboxOf(token: String) async throws -> [[String: Any]] {
                try await server.call(.get, "/v1/notifications", as: nil, headers: ["Authorization": "Bearer \(token)"]).list("notifications")
            }
            let fireToken = try await reviewer("消防审查窗口", "fire-safety-review")
            // The stage 施工许可 is led by housing and construction.
            let leadToken = try await reviewer("住建窗口", "housing-construction")
            let code = try await server.createEnterpriseProject()
            try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
            for item in ["project-filing", "land-use-planning-permit", "design-scheme-review", "construction-planning-permit"] {
                for action in ["submit", "accept", "approve"] {
                    if action == "accept" { try await server.attachEveryMaterial(code, item) }
                    #expect(try await server.act(code, item, #"{"action": "\#(action)"}"#, as: .admin).status == 200)
                }
            }
            try await server.act(code, "fire-safety-design-review", #"{"action": "submit"}"#, as: .admin)
            try await server.attachEveryMaterial(code, "fire-safety-design-review")
            try await server.act(code, "fire-safety-design-review", #"{"action": "accept"}"#, as: .admin)
            if !leadSees {
                for item in ["construction-drawing-review", "construction-permit-issuance", "completion-acceptance-filing"] {
                    let exempted = try await server.act(code, item, #"{"action": "exempt", "source": "审批豁免清单"}"#, as: .coordinator)
                    #expect(exempted.status == 200, "\(exempted.text)")
                }
            }
            var escalations = 0
            for _ in 0..<40 {  // daily, as the sweeper runs: the yellow window first, then the escalation
                server.clock.advance(by: Self.day)
                escalations += try await DeadlineSweeper(context: server.context).sweepAll().escalations
            }
            #expect(escalations == 1)

            let escalation = "item.escalate"
            let leader = try await inbox(server, .leader)
            #expect(leader.map { $0["kind"] as? String }.contains(escalation))
            #expect(leader.first { $0["kind"] as? String == escalation }?["audience"] as? String == "leader")
            let lead = try await inboxOf(token: leadToken).first { $0["kind"] as? String == escalation }
            #expect(lead?["audience"] as? String == (leadSees ? "lead_department" : nil))
            #expect(try await kinds(server, .agent).contains(escalation))
            let departmentKinds = try await inboxOf(token: fireToken).compactMap { $0["kind"] as? String }
            // Its yellow window came first, then the escalation.
            #expect(departmentKinds.contains(escalation) && departmentKinds.contains("warning.item"), "\(departmentKinds)")
            // Other departments and another region's reviewers are not told, and investors hear of decisions only.
            #expect(try await kinds(server, .otherRegionReviewer).isEmpty)
            #expect(!(try await kinds(server, .planningReviewer).contains(escalation)))
            #expect(!(try await kinds(server, .investor).contains(escalation)))
            let stored = try await server.count("SELECT count(*)::int FROM events e JOIN notifications n ON n.project_id = e.project_id AND n.event_seq = e.seq WHERE e.kind = 'item.escalate'")
            #expect(stored == (leadSees ? 4 : 3))  // agent, department, lead department, leader: one each
        }
    }

    @Test func aNotificationIsWrittenOnlyIfItsEventCommits() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            // A refused action writes no event, so no notification either.
            #expect(try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer).status == 409)
            #expect(try await server.count("SELECT count(*)::int FROM notifications") == 0)
            // Every notification points at an event that exists.
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            #expect(try await server.count("SELECT count(*)::int FROM notifications") == 1)
            #expect(try await server.count("""
                SELECT count(*)::int FROM notifications n LEFT JOIN events e ON e.project_id = n.project_id AND e.seq = n.event_seq
                WHERE e.seq IS NULL OR e.kind <> n.kind
                """) == 0)
        }
    }
}
