import Foundation
import Testing

@Suite("Item actions: the state machine through HTTP, idempotency and races", .timeLimit(.minutes(5)))
struct ItemActionTests {
    @Test func aReviewCycleWithDeficiencyCommitmentAndSupplement() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            #expect(try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor).status == 200)
            try await server.attachEveryMaterial(code, "project-filing")
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
            try await server.attachEveryMaterial(code, permit)
            #expect(try await server.act(code, permit, #"{"action": "accept"}"#, as: .planningReviewer).status == 200)

            // 容缺受理 where the workflow allows it: no acceptance while a core material is missing; the commitment names
            // the non-core ones still missing, shows with the investor's next step, and is fulfilled by attaching them.
            try await server.act(code, "energy-review", #"{"action": "submit"}"#, as: .investor)
            let commit = #"{"action": "accept", "commitment": {"requirements": ["energy-supply-statement"], "dueDate": "2026-03-20"}}"#
            let lacking = try await server.act(code, "energy-review", commit, as: .reviewer)
            #expect(lacking.status == 422 && lacking.string("type") == "/problems/materials-missing", "\(lacking.text)")
            let lackingFields = (lacking.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(lackingFields == ["materials.application-letter", "materials.energy-report", "materials.business-licence"])
            let document = try #require(try await MaterialLibraryTests.upload(server, MaterialLibraryTests.pdf(size: 2_000, seed: 7), name: "节能材料", kind: nil).int("id"))
            for requirement in ["application-letter", "energy-report", "business-licence", "equipment-list"] {
                try await server.call(.put, "/v1/projects/\(code)/items/energy-review/materials/\(requirement)", as: .investor, json: #"{"material": \#(document)}"#)
            }
            let namesAttached = try await server.act(code, "energy-review", """
                {"action": "accept", "commitment": {"requirements": ["equipment-list"], "dueDate": "2026-03-20"}}
                """, as: .reviewer)
            #expect(namesAttached.status == 422 && namesAttached.string("detail")?.contains("already attached") == true, "\(namesAttached.text)")
            let accepted = try await server.act(code, "energy-review", commit, as: .reviewer)
            #expect(accepted.status == 200, "\(accepted.text)")
            let commitment = accepted.item("energy-review")["commitment"] as? [String: Any]
            #expect(commitment?["requirements"] as? [String] == ["energy-supply-statement"])
            #expect(commitment?["missingMaterials"] as? [String] == ["能源供应意向协议或能源供应条件说明"])
            #expect(commitment?["dueDate"] as? String == "2026-03-20")
            #expect(commitment?["broken"] as? Bool == false)
            #expect(accepted.list("nextSteps").contains { $0["action"] as? String == "supply_committed_materials" && $0["dueDate"] as? String == "2026-03-20" })
            let unfulfilled = try await server.act(code, "energy-review", #"{"action": "fulfilCommitment"}"#, as: .reviewer)
            #expect(unfulfilled.status == 422 && unfulfilled.string("detail")?.contains("energy-supply-statement") == true, "\(unfulfilled.text)")
            // The decision need not wait for the promise: after the approval the promised material is still taken.
            #expect(try await server.act(code, "energy-review", #"{"action": "approve"}"#, as: .reviewer).status == 200)
            let late = try await server.call(.delete, "/v1/projects/\(code)/items/energy-review/materials/application-letter", as: .investor)
            #expect(late.status == 409, "what was accepted stays: \(late.text)")
            try await server.call(.put, "/v1/projects/\(code)/items/energy-review/materials/energy-supply-statement", as: .investor, json: #"{"material": \#(document)}"#)
            #expect(try await server.act(code, "energy-review", #"{"action": "fulfilCommitment"}"#, as: .reviewer).status == 200)

            let noList = try await server.act(code, permit, #"{"action": "suspend", "suspension": {"reason": "supplement"}}"#, as: .planningReviewer)
            #expect(noList.status == 422)
            #expect(noList.string("field") == "suspension.requirements")
            let unknown = try await server.act(code, permit, #"{"action": "suspend", "suspension": {"reason": "supplement", "requirements": ["no-such"]}}"#,
                                               as: .planningReviewer)
            #expect(unknown.status == 422 && unknown.string("field") == "suspension.requirements", "\(unknown.text)")

            // 一次性告知: two requirements found deficient, and one thing outside the list in words.
            let suspended = try await server.act(code, permit, """
                {"action": "suspend", "suspension": {"reason": "supplement", "requirements": ["boundary-survey", "application-form"], "missingMaterials": ["宗地图"]}}
                """, as: .planningReviewer)
            #expect(suspended.item(permit)["state"] as? String == "suspended", "\(suspended.text)")
            let suspension = suspended.item(permit)["suspension"] as? [String: Any]
            #expect(suspension?["missingMaterials"] as? [String] == ["宗地图"])
            #expect((suspension?["requirements"] as? [[String: Any]])?.map { $0["answered"] as? Bool } == [false, false])
            #expect(suspended.list("nextSteps").contains { $0["action"] as? String == "resubmit" && $0["item"] as? String == permit })

            // What the window accepted stays: only the two requirements asked for may change now.
            let untouchable = try await server.call(.delete, "/v1/projects/\(code)/items/\(permit)/materials/project-approval", as: .investor)
            #expect(untouchable.status == 409 && untouchable.string("type") == "/problems/not-asked-for", "\(untouchable.text)")

            // The reviewer cannot resubmit for the investor; the investor cannot without new materials for both.
            #expect(try await server.act(code, permit, #"{"action": "resubmit"}"#, as: .planningReviewer).status == 403)
            let unchanged = try await server.act(code, permit, #"{"action": "resubmit"}"#, as: .investor)
            #expect(unchanged.status == 422 && unchanged.string("type") == "/problems/materials-missing", "\(unchanged.text)")
            #expect((unchanged.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                    == ["materials.boundary-survey", "materials.application-form"])
            #expect(unchanged.string("detail")?.contains("still the version found deficient") == true)
            try await server.call(.delete, "/v1/projects/\(code)/items/\(permit)/materials/application-form", as: .investor)
            let detached = try await server.act(code, permit, #"{"action": "resubmit"}"#, as: .investor)
            #expect(detached.string("detail")?.contains("(application-form, core) is missing") == true, "\(detached.text)")
            let corrected = try #require(try await MaterialLibraryTests.upload(server, MaterialLibraryTests.pdf(size: 3_000, seed: 9), name: "更正材料", kind: nil).int("id"))
            try await server.call(.put, "/v1/projects/\(code)/items/\(permit)/materials/boundary-survey", as: .investor, json: #"{"material": \#(corrected)}"#)
            let halfway = try await server.act(code, permit, #"{"action": "resubmit"}"#, as: .investor)
            #expect((halfway.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } == ["materials.application-form"])
            try await server.call(.put, "/v1/projects/\(code)/items/\(permit)/materials/application-form", as: .investor, json: #"{"material": \#(corrected)}"#)
            let resubmitted = try await server.act(code, permit, #"{"action": "resubmit"}"#, as: .investor)
            #expect(resubmitted.item(permit)["state"] as? String == "accepted", "\(resubmitted.text)")

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
            try await server.attachEveryMaterial(code, "project-filing")
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
            try await server.attachEveryMaterial(code, "project-filing")
            let wrongDepartment = try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .ecologyReviewer)
            #expect(wrongDepartment.status == 403)
            #expect(wrongDepartment.string("detail")?.contains("development-reform") == true)
            // A reviewer of the right department in another region does not see the project at all.
            try await server.attachEveryMaterial(code, "project-filing")
            #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .otherRegionReviewer).status == 404)
            try await server.attachEveryMaterial(code, "project-filing")
            #expect(try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .investor).status == 403)
            try await server.attachEveryMaterial(code, "project-filing")
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
            try await server.attachEveryMaterial(code, "project-filing")
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
