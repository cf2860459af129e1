import Foundation
import Testing

@Suite("Item actions: the state machine through HTTP, idempotency and races", .timeLimit(.minutes(5)))
struct ItemActionTests {
    @Test func aReviewCycleWithDeficiencyCommitmentAndSupplement() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            #expect(try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor).status == 200)
            #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer).status == 200)
            #expect(try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer).status == 200)
            let permit = "land-use-planning-permit"
            let opened = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(opened.item(permit)["state"] as? String == "ready")

            try await server.act(code, permit, #"{"action": "submit"}"#, as: .investor)
            let notAllowed = try await server.act(code, permit, """
                {"action": "accept", "commitment": {"missingMaterials": ["土地出让合同"], "dueDate": "2026-03-20"}}
                """, as: .planningReviewer)
            #expect(notAllowed.status == 422)
            #expect(notAllowed.string("detail")?.contains("容缺") == true || notAllowed.string("detail")?.contains("deficienc") == true, "\(notAllowed.text)")
            #expect(try await server.act(code, permit, #"{"action": "accept"}"#, as: .planningReviewer).status == 200)

            // 容缺受理 where the workflow allows it: the commitment shows, and so does the investor's next step.
            try await server.act(code, "energy-review", #"{"action": "submit"}"#, as: .investor)
            let accepted = try await server.act(code, "energy-review", """
                {"action": "accept", "commitment": {"missingMaterials": ["节能报告专家意见"], "dueDate": "2026-03-20"}}
                """, as: .reviewer)
            #expect(accepted.status == 200, "\(accepted.text)")
            let commitment = accepted.item("energy-review")["commitment"] as? [String: Any]
            #expect(commitment?["dueDate"] as? String == "2026-03-20")
            #expect(commitment?["broken"] as? Bool == false)
            #expect(accepted.list("nextSteps").contains { $0["action"] as? String == "supply_committed_materials" && $0["dueDate"] as? String == "2026-03-20" })
            #expect(try await server.act(code, "energy-review", #"{"action": "fulfilCommitment"}"#, as: .reviewer).status == 200)

            let noList = try await server.act(code, permit, #"{"action": "suspend", "suspension": {"reason": "supplement"}}"#, as: .planningReviewer)
            #expect(noList.status == 422)
            #expect(noList.string("field") == "suspension.missingMaterials")

            let suspended = try await server.act(code, permit, """
                {"action": "suspend", "suspension": {"reason": "supplement", "missingMaterials": ["宗地图", "规划条件"]}}
                """, as: .planningReviewer)
            #expect(suspended.item(permit)["state"] as? String == "suspended")
            let suspension = suspended.item(permit)["suspension"] as? [String: Any]
            #expect(suspension?["missingMaterials"] as? [String] == ["宗地图", "规划条件"])
            #expect(suspended.list("nextSteps").contains { $0["action"] as? String == "resubmit" && $0["item"] as? String == permit })

            // The reviewer cannot resubmit for the investor; the investor can.
            #expect(try await server.act(code, permit, #"{"action": "resubmit"}"#, as: .planningReviewer).status == 403)
            let resubmitted = try await server.act(code, permit, #"{"action": "resubmit"}"#, as: .investor)
            #expect(resubmitted.item(permit)["state"] as? String == "accepted")

            let noReason = try await server.act(code, permit, #"{"action": "reject"}"#, as: .planningReviewer)
            #expect(noReason.status == 422)
            #expect(noReason.string("field") == "reason")
            let approved = try await server.act(code, permit, #"{"action": "approve"}"#, as: .planningReviewer)
            #expect(approved.item(permit)["state"] as? String == "approved")

            let again = try await server.act(code, permit, #"{"action": "reject", "reason": "late"}"#, as: .planningReviewer)
            #expect(again.status == 409)
            #expect(again.string("state") == "approved")
            #expect(again.string("type") == "/problems/illegal-transition")
            #expect(again.string("detail")?.contains("since 2026-03-02") == true)
        }
    }

    @Test func anInvestorWithdrawsAndAReviewerRejectsWithAReason() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "energy-review", #"{"action": "submit"}"#, as: .investor)
            let withdrawn = try await server.act(code, "energy-review", #"{"action": "withdraw"}"#, as: .investor)
            #expect(withdrawn.item("energy-review")["state"] as? String == "withdrawn")
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            let rejected = try await server.act(code, "project-filing", #"{"action": "reject", "reason": "不符合产业政策"}"#, as: .reviewer)
            #expect(rejected.item("project-filing")["state"] as? String == "rejected")
            #expect(rejected.item("project-filing")["rejectionReason"] as? String == "不符合产业政策")
            // A rejected prerequisite does not release what depends on it.
            #expect(rejected.item("land-use-planning-permit")["state"] as? String == "blocked")
        }
    }

    @Test func fieldsThatDoNotBelongToTheActionAreRefused() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let reply = try await server.act(code, "project-filing", #"{"action": "submit", "reason": "x"}"#, as: .investor)
            #expect(reply.status == 422)
            #expect(reply.string("field") == "reason")
            let unknownAction = try await server.act(code, "project-filing", #"{"action": "bless"}"#, as: .investor)
            #expect(unknownAction.status == 400)
            let unknownItem = try await server.act(code, "no-such-item", #"{"action": "submit"}"#, as: .investor)
            #expect(unknownItem.status == 404)
            #expect(unknownItem.string("field") == "item")
            #expect(try await server.count("SELECT count(*)::int FROM events") == 1)
        }
    }

    @Test func reviewersActOnlyOnTheirDepartmentsItems() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            let wrongDepartment = try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .ecologyReviewer)
            #expect(wrongDepartment.status == 403)
            #expect(wrongDepartment.string("detail")?.contains("development-reform") == true)
            // A reviewer of the right department in another region does not see the project at all.
            #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .otherRegionReviewer).status == 404)
            #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .investor).status == 403)
            #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer).status == 200)
        }
    }

    @Test func coordinatorsExemptWithASource() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let noSource = try await server.act(code, "energy-review", #"{"action": "exempt"}"#, as: .coordinator)
            #expect(noSource.status == 422)
            let exempted = try await server.act(code, "energy-review", #"{"action": "exempt", "source": "区域能评（温州湾新区）"}"#, as: .coordinator)
            #expect(exempted.status == 200, "\(exempted.text)")
            #expect(exempted.item("energy-review")["state"] as? String == "exempted")
            #expect(exempted.item("energy-review")["exemptionSource"] as? String == "区域能评（温州湾新区）")
            #expect(try await server.act(code, "soil-water-conservation", #"{"action": "exempt", "source": "x"}"#, as: .investor).status == 403)
        }
    }

    @Test func aRetriedWriteWithTheSameIdempotencyKeyWritesOnce() async throws {
        try await TestServer.run { server in
            let body = """
                {"workflow": "low-risk", "name": "仓库", "region": "330302",
                 "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
                """
            let first = try await server.call(.post, "/v1/projects", as: .investor, json: body, headers: ["Idempotency-Key": "create-1"])
            let retry = try await server.call(.post, "/v1/projects", as: .investor, json: body, headers: ["Idempotency-Key": "create-1"])
            #expect(first.status == 201)
            #expect(retry.status == 201)
            #expect(retry.string("code") == first.string("code"))
            #expect(try await server.count("SELECT count(*)::int FROM projects") == 1)
            let changed = try await server.call(.post, "/v1/projects", as: .investor, json: body.replacingOccurrences(of: "仓库", with: "别的"),
                                                headers: ["Idempotency-Key": "create-1"])
            #expect(changed.status == 422)
            #expect(changed.string("field") == "Idempotency-Key")

            let code = try #require(first.string("code"))
            let submit = try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor, headers: ["Idempotency-Key": "s-1"])
            let submitAgain = try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor, headers: ["Idempotency-Key": "s-1"])
            #expect(submit.status == 200)
            #expect(submitAgain.status == 200)
            #expect(submitAgain.header("ETag") == submit.header("ETag"))
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.submit'") == 1)
        }
    }

    @Test func twoConflictingDecisionsAtOnceExactlyOneWins() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            async let approve = server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer)
            async let reject = server.act(code, "project-filing", #"{"action": "reject", "reason": "不符合产业政策"}"#, as: .reviewer)
            let replies = try await [approve, reject]
            #expect(replies.map(\.status).sorted() == [200, 409])
            let winner = try #require(replies.first { $0.status == 200 })
            let loser = try #require(replies.first { $0.status == 409 })
            let finalState = winner.item("project-filing")["state"] as? String
            #expect(loser.string("state") == finalState)
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind IN ('item.approve', 'item.reject')") == 1)
        }
    }

    @Test func writesHonourIfMatch() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let stale = try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor, headers: ["If-Match": "\"0\""])
            #expect(stale.status == 412)
            let fresh = try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor, headers: ["If-Match": "\"1\""])
            #expect(fresh.status == 200)
        }
    }
}
