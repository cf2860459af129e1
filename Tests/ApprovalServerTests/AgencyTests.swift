import ApprovalServer
import ApprovalStore
import Foundation
import Testing

@Suite("Agency service: agents, handover, agreements, on-behalf actions, progress, cases, ratings", .timeLimit(.minutes(5)))
struct AgencyTests {
    static let day: TimeInterval = 86_400

    func agentToken(_ reply: Reply) -> String { (reply.json["token"] as? [String: Any])?["token"] as? String ?? "" }

    @Test func theDirectoryHasThreeLevelsAndTheSuggestionSaysWhy() async throws {
        try await TestServer.run { server in
            var ids: [String: Int] = [:]
            for (name, region, level) in [("市级代办员 陈", "330300", "city"), ("区级代办员 周", "330302", "county"), ("街道代办员 吴", "330302", "township")] {
                let created = try await server.call(.post, "/v1/agents", as: .coordinator, json: """
                    {"name": "\(name)", "region": "\(region)", "level": "\(level)", "capacity": 2, "phone": "0577-1"}
                    """)
                #expect(created.status == 201, "\(created.text)")
                ids[level] = (created.json["agent"] as? [String: Any])?["id"] as? Int
                let me = try await server.call(.get, "/v1/me", as: nil, headers: ["Authorization": "Bearer \(agentToken(created))"])
                #expect(me.string("role") == "agent")
            }
            // Outside the coordinator's jurisdiction, and not for reviewers.
            #expect(try await server.call(.post, "/v1/agents", as: .coordinator,
                                          json: #"{"name": "x", "region": "330100", "level": "county", "capacity": 1}"#).status == 403)
            #expect(try await server.call(.get, "/v1/agents", as: .reviewer).status == 403)
            let townships = try await server.call(.get, "/v1/agents?level=township", as: .coordinator).list("agents")
            #expect(townships.map { $0["name"] as? String } == ["街道代办员 吴"])
            #expect(try await server.call(.get, "/v1/agents", as: .agent).list("agents").map { $0["id"] as? Int } == [server.userIDs[.agent].map(Int.init)])

            // The test users' two agents carry one project each, so the new county-level agents (load 0) come first.
            for agent in [TestUser.agent, .otherAgent] {
                let code = try await server.createEnterpriseProject()
                try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[agent]!)}"#)
            }
            let code = try await server.createEnterpriseProject()
            let suggestion = try await server.call(.get, "/v1/projects/\(code)/agent/suggestion", as: .coordinator)
            #expect(suggestion.status == 200, "\(suggestion.text)")
            #expect((suggestion.json["agent"] as? [String: Any])?["id"] as? Int == ids["county"])
            #expect(suggestion.string("reason")?.contains("own region 330302") == true, "\(suggestion.text)")
            #expect(try await server.call(.get, "/v1/projects/\(code)/agent/suggestion", as: .agent).status == 404)

            // With the district's agents at capacity, the nearest region above: the city.
            for level in ["county", "township"] {
                #expect(try await server.call(.patch, "/v1/agents/\(ids[level]!)", as: .coordinator, json: #"{"active": false}"#).status == 200)
            }
            for agent in [TestUser.agent, .otherAgent] {
                #expect(try await server.call(.patch, "/v1/agents/\(server.userIDs[agent]!)", as: .coordinator, json: #"{"capacity": 1}"#).status == 200)
            }
            let above = try await server.call(.get, "/v1/projects/\(code)/agent/suggestion", as: .coordinator)
            #expect((above.json["agent"] as? [String: Any])?["id"] as? Int == ids["city"])
            #expect(above.string("reason")?.contains("nearest region above") == true, "\(above.text)")
            let full = try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
            #expect(full.status == 422 && full.string("detail")?.contains("capacity of 1") == true, "\(full.text)")
        }
    }

    @Test func theWholeLifecycleWithOnBehalfActionsOnlyWithinTheAgreement() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let agentID = server.userIDs[.agent]!
            let assigned = try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(agentID)}"#)
            #expect((assigned.json["agent"] as? [String: Any])?["level"] as? String == "county")
            #expect(try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator,
                                          json: #"{"agentId": \#(server.userIDs[.otherAgent]!)}"#).status == 409)

            // No agreement, no acting for the investor.
            let before = try await server.act(code, "energy-review", #"{"action": "submit"}"#, as: .agent)
            #expect(before.status == 403 && before.string("detail")?.contains("not authorised") == true, "\(before.text)")
            #expect(try await server.call(.post, "/v1/projects/\(code)/agreement", as: .agent,
                                          json: #"{"action": "authorise", "scope": ["energy-review"]}"#).status == 403)
            let badScope = try await server.call(.post, "/v1/projects/\(code)/agreement", as: .investor,
                                                 json: #"{"action": "authorise", "scope": ["energy-review", "no-such-item"]}"#)
            #expect(badScope.status == 422 && badScope.string("field") == "scope[1]")
            let authorised = try await server.call(.post, "/v1/projects/\(code)/agreement", as: .investor,
                                                   json: #"{"action": "authorise", "scope": ["energy-review", "soil-water-conservation"], "validUntil": "2026-06-30"}"#)
            #expect(authorised.status == 200, "\(authorised.text)")
            #expect(authorised.string("state") == "active" && authorised.json["inForce"] as? Bool == true)
            #expect(authorised.json["onPaper"] as? Bool == false)

            let submitted = try await server.act(code, "energy-review", #"{"action": "submit"}"#, as: .agent)
            #expect(submitted.status == 200, "\(submitted.text)")
            let outside = try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .agent)
            #expect(outside.status == 403 && outside.string("detail")?.contains("outside the agency agreement's scope") == true)
            let events = try await server.call(.get, "/v1/projects/\(code)/timeline", as: .investor).list("events")
            let onBehalf = try #require(events.first { $0["kind"] as? String == "item.submit" })
            #expect(onBehalf["detail"] as? String == "agent 代办员 王 for investor ORG-A")
            #expect((onBehalf["actor"] as? [String: Any])?["id"] as? Int == Int(agentID))

            // A supplement request answered by the agent.
            try await server.attachEveryMaterial(code, "energy-review")
            try await server.act(code, "energy-review", #"{"action": "accept"}"#, as: .reviewer)
            try await server.act(code, "energy-review", #"{"action": "suspend", "suspension": {"reason": "supplement", "missingMaterials": ["用能测算"]}}"#,
                                 as: .reviewer)
            #expect(try await server.act(code, "energy-review", #"{"action": "resubmit"}"#, as: .agent).status == 200)
            try await server.act(code, "energy-review", #"{"action": "approve"}"#, as: .reviewer)

            // Progress from the field, visible to the investor with the next step.
            let logged = try await server.call(.post, "/v1/projects/\(code)/progress", as: .agent, json: """
                {"kind": "contacted_department", "text": "已与发改局窗口沟通节能审查补正材料", "item": "energy-review", "nextStepOn": "2026-03-06"}
                """)
            #expect(logged.status == 201, "\(logged.text)")
            #expect(try await server.call(.post, "/v1/projects/\(code)/progress", as: .otherAgent,
                                          json: #"{"kind": "other", "text": "x"}"#).status == 404)
            #expect(try await server.call(.post, "/v1/projects/\(code)/progress", as: .agent,
                                          json: #"{"kind": "other", "text": "x", "nextStepOn": "2026-01-01"}"#).status == 422)
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            let agency = try #require(status.json["agency"] as? [String: Any])
            #expect(agency["nextStepOn"] as? String == "2026-03-06")
            #expect((agency["lastProgress"] as? [String: Any])?["author"] as? String == "代办员 王")
            #expect((agency["agreement"] as? [String: Any])?["scope"] as? [String] == ["energy-review", "soil-water-conservation"])

            // A difficult case, raised by the agent and settled at a consultation.
            let raised = try await server.call(.post, "/v1/projects/\(code)/cases", as: .agent, json: """
                {"title": "能耗指标来源不明", "description": "需发改、经信共同确认用能指标", "item": "energy-review"}
                """)
            #expect(raised.status == 201, "\(raised.text)")
            let caseID = try #require(raised.int("id"))
            #expect(try await server.call(.post, "/v1/projects/\(code)/cases/\(caseID)/resolve", as: .agent,
                                          json: #"{"meetingOn": "2026-03-02", "outcome": "x"}"#).status == 403)
            let resolved = try await server.call(.post, "/v1/projects/\(code)/cases/\(caseID)/resolve", as: .coordinator,
                                                 json: #"{"meetingOn": "2026-03-02", "outcome": "由发改局统筹区域能耗指标"}"#)
            #expect(resolved.status == 200 && resolved.json["open"] as? Bool == false, "\(resolved.text)")
            #expect(try await server.call(.post, "/v1/projects/\(code)/cases/\(caseID)/resolve", as: .coordinator,
                                          json: #"{"meetingOn": "2026-03-02", "outcome": "again"}"#).status == 409)

            // Handover: the former agent can no longer see or act; the successor acts under the same agreement.
            let missingNote = try await server.call(.post, "/v1/projects/\(code)/agent/handover", as: .coordinator,
                                                    json: #"{"agentId": \#(server.userIDs[.otherAgent]!), "reason": "调岗", "handoverNote": " "}"#)
            #expect(missingNote.status == 422 && missingNote.string("field") == "handoverNote")
            let handedOver = try await server.call(.post, "/v1/projects/\(code)/agent/handover", as: .coordinator, json: """
                {"agentId": \(server.userIDs[.otherAgent]!), "reason": "原代办员调岗", "handoverNote": "节能审查已补正，待水保受理"}
                """)
            #expect(handedOver.status == 200, "\(handedOver.text)")
            #expect(try await server.act(code, "soil-water-conservation", #"{"action": "submit"}"#, as: .agent).status == 404)
            #expect(try await server.act(code, "soil-water-conservation", #"{"action": "submit"}"#, as: .otherAgent).status == 200)
            let history = try await server.call(.get, "/v1/projects/\(code)/agent/history", as: .coordinator).list("assignments")
            #expect(history.count == 2)
            #expect(history[0]["endedBy"] as? String == "handover" && history[0]["handedTo"] as? Int == server.userIDs[.otherAgent].map(Int.init))
            #expect(history[0]["handoverNote"] as? String == "节能审查已补正，待水保受理")
            #expect(history[1]["endedOn"] == nil)

            // Completion waits for every item; termination stops the agent acting at once.
            let early = try await server.call(.post, "/v1/projects/\(code)/agreement", as: .otherAgent, json: #"{"action": "complete"}"#)
            #expect(early.status == 409 && early.string("detail")?.contains("project-filing") == true)
            let renewed = try await server.call(.post, "/v1/projects/\(code)/agreement", as: .investor,
                                                json: #"{"action": "renew", "validUntil": "2026-12-31", "scope": ["energy-review", "soil-water-conservation", "project-filing"]}"#)
            #expect(renewed.status == 200 && renewed.int("renewals") == 1, "\(renewed.text)")
            #expect(try await server.call(.post, "/v1/projects/\(code)/agreement", as: .investor, json: #"{"action": "terminate"}"#).status == 422)
            let terminated = try await server.call(.post, "/v1/projects/\(code)/agreement", as: .investor,
                                                   json: #"{"action": "terminate", "reason": "投资方自行办理"}"#)
            #expect(terminated.string("state") == "terminated")
            let after = try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .otherAgent)
            #expect(after.status == 403 && after.string("detail")?.contains("terminated") == true, "\(after.text)")

            // Ratings: the agent once the agreement has ended, editable for 7 days; items once they have ended.
            #expect(try await server.call(.put, "/v1/projects/\(code)/ratings", as: .otherAgent, json: #"{"subject": "agent", "score": 5, "text": "x"}"#).status == 403)
            let rated = try await server.call(.put, "/v1/projects/\(code)/ratings", as: .investor, json: #"{"subject": "agent", "score": 4, "text": "响应及时"}"#)
            #expect(rated.status == 200 && rated.int("agent") == server.userIDs[.otherAgent].map(Int.init), "\(rated.text)")
            #expect(try await server.call(.put, "/v1/projects/\(code)/ratings", as: .investor, json: #"{"subject": "agent", "score": 5, "text": "很好"}"#).status == 200)
            #expect(try await server.call(.put, "/v1/projects/\(code)/ratings", as: .investor, json: #"{"subject": "agent", "score": 6, "text": ""}"#).status == 422)
            #expect(try await server.call(.put, "/v1/projects/\(code)/ratings", as: .investor,
                                          json: #"{"subject": "soil-water-conservation", "score": 3, "text": ""}"#).status == 409)
            #expect(try await server.call(.put, "/v1/projects/\(code)/ratings", as: .investor,
                                          json: #"{"subject": "energy-review", "score": 4, "text": "补正一次说清"}"#).status == 200)
            server.clock.advance(by: Self.day * 8)
            let late = try await server.call(.put, "/v1/projects/\(code)/ratings", as: .investor, json: #"{"subject": "agent", "score": 1, "text": "改主意"}"#)
            #expect(late.status == 409 && late.string("type") == "/problems/rating-final")
            let ratings = try await server.call(.get, "/v1/projects/\(code)/ratings", as: .coordinator).list("ratings")
            #expect(ratings.compactMap { $0["subject"] as? String } == ["agent", "energy-review"])  // in the order given
            #expect(ratings.first?["score"] as? Int == 5)

            let report = try await server.call(.get, "/v1/reports/agent-workload", as: .coordinator)
            let row = try #require(report.list("agents").first { $0["agent"] as? Int == server.userIDs[.otherAgent].map(Int.init) })
            #expect(row["activeProjects"] as? Int == 1 && row["averageRating"] as? Double == 5 && row["ratings"] as? Int == 1)
            #expect(try await server.call(.get, "/v1/reports/agent-workload", as: .agent).list("agents").map { $0["agent"] as? Int }
                    == [server.userIDs[.agent].map(Int.init)])

            // The agency ends without a successor; the project can be assigned afresh.
            let ended = try await server.call(.post, "/v1/projects/\(code)/agent/end", as: .coordinator, json: #"{"reason": "投资方终止委托"}"#)
            #expect(ended.status == 200 && ended.json["agent"] == nil, "\(ended.text)")
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .otherAgent).status == 404)
            let last = try await server.call(.get, "/v1/projects/\(code)/agent/history", as: .coordinator).list("assignments").last
            #expect(last?["endedBy"] as? String == "ended" && last?["reason"] as? String == "投资方终止委托")
            #expect(try await server.call(.post, "/v1/projects/\(code)/agent/end", as: .coordinator, json: #"{"reason": "again"}"#).status == 409)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
        }
    }

    /// The agency centre may record an agreement the investor signed on paper; it is marked as such, and the
    /// investor hears of it, so consent (and consent by absence later) never rests on one person's word alone.
    @Test func aPaperAgreementIsMarkedAndTheInvestorIsTold() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let recorded = try await server.call(.post, "/v1/projects/\(code)/agreement", as: .coordinator,
                                                 json: #"{"action": "authorise", "scope": ["energy-review"]}"#)
            #expect(recorded.status == 200 && recorded.json["onPaper"] as? Bool == true, "\(recorded.text)")
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(((status.json["agency"] as? [String: Any])?["agreement"] as? [String: Any])?["onPaper"] as? Bool == true, "\(status.text)")
            let told = try await server.call(.get, "/v1/notifications", as: .investor).list("notifications")
            #expect(told.contains { $0["kind"] as? String == "agreement.authorised" && $0["title"] as? String == "代办中心已登记纸质代办协议" }, "\(told)")
        }
    }

    @Test func aPassedNextStepMakesTheFollowUpOverdueOnce() async throws {
        try await TestServer.run(virtualClockControl: true) { server in
            let code = try await server.createEnterpriseProject()
            try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
            let raised = try await server.call(.post, "/v1/projects/\(code)/cases", as: .coordinator,
                                               json: #"{"title": "用地红线争议", "description": "待规划、自然资源会商"}"#)
            #expect(raised.status == 201)
            // Monday 03-02: the next step is promised for Wednesday 03-04. No item clock runs, so only the
            // follow-up makes the project due.
            #expect(try await server.call(.post, "/v1/projects/\(code)/progress", as: .agent,
                                          json: #"{"kind": "site_visit", "text": "现场踏勘", "nextStepOn": "2026-03-04"}"#).status == 201)
            func advance(_ days: Int) async throws -> [String: Any] {
                try await server.call(.post, "/v1/admin/clock", as: .admin, json: #"{"advanceDays": \#(days)}"#).json["swept"] as? [String: Any] ?? [:]
            }
            #expect(try await advance(2)["warnings"] as? Int == 0)  // Wednesday: still the day of the next step
            var status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect((status.json["agency"] as? [String: Any])?["followUpOverdue"] as? Bool == false)
            #expect(try await advance(1)["warnings"] as? Int == 1)  // Thursday
            #expect(try await advance(3)["warnings"] as? Int == 0)  // said once
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'agent.follow_up_overdue'") == 1)
            status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect((status.json["agency"] as? [String: Any])?["followUpOverdue"] as? Bool == true)
            let told = try await server.call(.get, "/v1/notifications", as: .coordinator).list("notifications")
            #expect(told.contains { $0["kind"] as? String == "agent.follow_up_overdue" })
            #expect(try await server.call(.get, "/v1/notifications", as: .agent).list("notifications")
                .contains { $0["kind"] as? String == "agent.follow_up_overdue" })

            let report = try await server.call(.get, "/v1/reports/agent-workload?region=330302", as: .leader)
            let row = try #require(report.list("agents").first { $0["agent"] as? Int == server.userIDs[.agent].map(Int.init) })
            #expect(row["overdueFollowUps"] as? Int == 1)
            #expect(row["openDifficultCases"] as? Int == 1 && row["oldestOpenCaseDays"] as? Int == 6)

            // A newer update clears it.
            #expect(try await server.call(.post, "/v1/projects/\(code)/progress", as: .agent,
                                          json: #"{"kind": "meeting_attended", "text": "参加会商", "nextStepOn": "2026-03-12"}"#).status == 201)
            status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect((status.json["agency"] as? [String: Any])?["followUpOverdue"] as? Bool == false)
        }
    }
}
