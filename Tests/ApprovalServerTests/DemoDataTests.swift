import ApprovalSeed
import ApprovalServer
import ApprovalStore
import Foundation
import HTTPTypes
import Testing

@Suite("serve --demo", .timeLimit(.minutes(5)))
struct DemoDataTests {
    /// The demo users' tokens are public: `serve --demo` refuses to start outside development, before it opens
    /// a database.
    @Test func demoDataNeedsDevelopmentMode() async throws {
        let (status, text) = try await TestProcesses.approvals(["serve", "--demo", "--port", "0"])
        #expect(status != 0)
        #expect(text.contains("--demo needs --development"), "\(text)")
    }

    @Test func demoDataGoesThroughTheAPIAndTheREADMEExamplesWork() async throws {
        try await TestServer.run { server in
            #expect(try await DemoData.seed(server.context))
            #expect(try await DemoData.seed(server.context) == false)  // once only

            let headers = ["Authorization": "Bearer demo-investor"]
            let status = try await server.call(.get, "/v1/projects/2609-330302-89-01-100001", as: nil, headers: headers)
            #expect(status.status == 200)
            #expect(status.item("land-use-planning-permit")["state"] as? String == "accepted")
            #expect((status.json["agent"] as? [String: Any])?["name"] as? String == "代办员 王 Demo")
            let mine = try await server.call(.get, "/v1/projects", as: nil, headers: headers)
            #expect(mine.list("projects").count == 5)
            // The demo investor's library: its business licence uploaded once, and every accepted application carrying
            // its core materials.
            let library = try await server.call(.get, "/v1/materials", as: nil, headers: headers).list("materials")
            #expect(library.filter { $0["kind"] as? String == "business-licence" }.count == 1, "\(library)")
            let filing = (status.item("project-filing")["materials"] as? [[String: Any]]) ?? []
            #expect(!filing.isEmpty && filing.filter { $0["core"] as? Bool == true }.allSatisfy { $0["attached"] != nil }, "\(filing)")

            let approve = try await server.call(.post, "/v1/projects/2609-330302-89-01-100001/items/land-use-planning-permit/actions",
                                                as: nil, json: #"{"action": "approve"}"#,
                                                headers: ["Authorization": "Bearer demo-planning-reviewer"])
            #expect(approve.status == 200)
            let warehouse = try await server.call(.get, "/v1/projects/2609-330302-89-01-100002", as: nil, headers: headers)
            #expect(warehouse.list("nextSteps").contains { $0["action"] as? String == "resubmit" })
            // The README's answer to it: not before a new filing form is attached, then at once.
            let filingActions = "/v1/projects/2609-330302-89-01-100002/items/project-filing/actions"
            let early = try await server.call(.post, filingActions, as: nil, json: #"{"action": "resubmit"}"#, headers: headers)
            #expect(early.status == 422 && early.text.contains("materials.filing-form"), "\(early.text)")
            let form = try #require(try await MaterialLibraryTests.send(server, .post, "/v1/materials?name=%E5%A4%87%E6%A1%88%E4%BF%A1%E6%81%AF%E8%A1%A8",
                                                                        bytes: MaterialLibraryTests.pdf(size: 3_000, seed: 40), as: .investor,
                                                                        headers: headers).0.int("id"))
            let attached = try await server.call(.put, "/v1/projects/2609-330302-89-01-100002/items/project-filing/materials/filing-form", as: nil,
                                                 json: #"{"material": \#(form)}"#, headers: headers)
            #expect(attached.status == 200, "\(attached.text)")
            let resubmitted = try await server.call(.post, filingActions, as: nil, json: #"{"action": "resubmit"}"#, headers: headers)
            #expect(resubmitted.item("project-filing")["state"] as? String == "accepted", "\(resubmitted.text)")

            // Agents at the three levels, each carrying a project, with progress the investor can read.
            let coordinator = ["Authorization": "Bearer demo-coordinator"]
            let agents = try await server.call(.get, "/v1/agents?region=330300", as: nil, headers: coordinator).list("agents")
                .filter { ($0["name"] as? String)?.hasSuffix("Demo") == true }  // not the test server's own agents
            #expect(Set(agents.compactMap { $0["level"] as? String }) == ["city", "county", "township"])
            #expect(agents.allSatisfy { $0["activeProjects"] as? Int == 1 })
            let agency = try #require(status.json["agency"] as? [String: Any])
            #expect((agency["lastProgress"] as? [String: Any])?["kind"] as? String == "contacted_department")
            #expect(agency["nextStepOn"] is String)
            #expect((agency["agreement"] as? [String: Any])?["inForce"] as? Bool == true)
            let progress = try await server.call(.get, "/v1/projects/2609-330302-89-01-100002/progress", as: nil,
                                                 headers: ["Authorization": "Bearer demo-agent-township"])
            #expect(progress.list("updates").count == 1)

            // The two projects with history give the leaders' reports something to show.
            let leader = ["Authorization": "Bearer demo-leader"]
            let overdue = try await server.call(.get, "/v1/reports/overdue", as: nil, headers: leader)
            #expect(overdue.int("total") ?? 0 >= 1, "\(overdue.text)")
            let atRisk = try await server.call(.get, "/v1/reports/at-risk", as: nil, headers: leader).list("projects")
            #expect(atRisk.contains { $0["project"] as? String == "2609-330302-89-01-100005" })

            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
        }
    }
}
