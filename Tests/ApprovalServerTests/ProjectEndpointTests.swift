import Foundation
import Testing

@Suite("Projects: create, status, list, timeline, rename", .timeLimit(.minutes(5)))
struct ProjectEndpointTests {
    @Test func createIssuesALocalCodeAndReturnsTheFullStatus() async throws {
        try await TestServer.run { server in
            let reply = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "冷链仓库", "region": "330302",
                 "attributes": {"building-area-sqm": 4800, "needs-water-connection": true}}
                """)
            #expect(reply.status == 201)
            let code = try #require(reply.string("code"))
            #expect(code == "2603-330302-00-00-000001")
            #expect(reply.json["codeIssuedLocally"] as? Bool == true)
            #expect(reply.header("Location") == "/v1/projects/\(code)")
            #expect(reply.header("ETag") == "\"1\"")
            #expect(reply.string("investorOrganisation") == "ORG-A")
            #expect(reply.string("startedOn") == "2026-03-02")
            #expect(reply.item("project-filing")["state"] as? String == "ready")
            #expect(reply.item("land-use-planning-permit")["state"] as? String == "blocked")
            let steps = reply.list("nextSteps")
            #expect(steps.map { $0["item"] as? String } == ["project-filing"])
            let second = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "二号仓库", "region": "330302",
                 "attributes": {"building-area-sqm": 100, "needs-water-connection": false}}
                """)
            #expect(second.string("code") == "2603-330302-00-00-000002")
            #expect(second.item("water-connection")["state"] as? String == "not_applicable")
        }
    }

    @Test func aNationalCodeIsValidatedForShapeAndRegion() async throws {
        try await TestServer.run { server in
            let good = try await server.createEnterpriseProject(extra: #", "code": "2509-330302-89-01-544060""#)
            #expect(good == "2509-330302-89-01-544060")
            let status = try await server.call(.get, "/v1/projects/\(good)", as: .investor)
            #expect(status.json["codeIssuedLocally"] as? Bool == false)

            let duplicate = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "x", "region": "330302", "code": "2509-330302-89-01-544060",
                 "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
                """)
            #expect(duplicate.status == 409)
            // Another organisation is not told that the code exists: the refusal names the field, not the project.
            let squatter = try await server.call(.post, "/v1/projects", as: .otherInvestor, json: """
                {"workflow": "low-risk", "name": "x", "region": "330302", "code": "2509-330302-89-01-544060",
                 "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
                """)
            #expect(squatter.status == 422 && squatter.string("field") == "code", "\(squatter.text)")
            #expect(!squatter.text.contains("exists"))

            for (code, problem) in [("2509-330303-89-01-544060", "region 330303"), ("2513-330302-89-01-544060", "not a month"),
                                    ("2509-330302-89-01-54406", "not a project code"), ("2603-330302-00-00-000003", "reserved"),
                                    ("2603-330302-00-01-000003", "reserved"), ("2603-330302-89-00-000003", "reserved")] {
                let reply = try await server.call(.post, "/v1/projects", as: .investor, json: """
                    {"workflow": "low-risk", "name": "x", "region": "330302", "code": "\(code)",
                     "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
                    """)
                #expect(reply.status == 422)
                #expect(reply.string("field") == "code")
                #expect(reply.string("detail")?.contains(problem) == true, "\(reply.text)")
            }
        }
    }

    /// A serial taken by a code written before the local segments were reserved is skipped, not handed out again
    /// and not rolled back, so nobody can block local issue in a region by taking the next serial.
    @Test func localIssueSkipsSerialsThatAreTaken() async throws {
        try await TestServer.run { server in
            let first = try await server.createEnterpriseProject()
            #expect(first == "2603-330302-00-00-000001")
            try await server.sql("UPDATE projects SET code = '2603-330302-00-00-000002' WHERE code = '\(first)'")
            try await server.sql("INSERT INTO local_code_serials VALUES ('2603-330302-00-00-', 0) ON CONFLICT (prefix) DO UPDATE SET last = 0")
            #expect(try await server.createEnterpriseProject() == "2603-330302-00-00-000001")
            #expect(try await server.createEnterpriseProject() == "2603-330302-00-00-000003")
            try await server.sql("UPDATE local_code_serials SET last = 999999")
            let exhausted = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
                """)
            #expect(exhausted.status == 409 && exhausted.string("type") == "/problems/codes-exhausted", "\(exhausted.text)")
        }
    }

    @Test func badInputIsA4xxNamingTheFieldAndWritesNothing() async throws {
        try await TestServer.run { server in
            let cases: [(String, Int, String?)] = [
                (#"{"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {"building-area-sqm": "big", "colour": "red"}}"#, 422, "attributes.building-area-sqm"),
                (#"{"workflow": "nope", "name": "x", "region": "330302", "attributes": {}}"#, 422, "workflow"),
                (#"{"workflow": "low-risk", "name": "x", "region": 330302, "attributes": {}}"#, 400, "region"),
                (#"{"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {}, "colour": 1}"#, 400, "colour"),
                (#"{"workflow": "low-risk", "region": "330302", "attributes": {}}"#, 400, "name"),
                (#"{"workflow": "low-risk", "#, 400, nil),
                (#"{"workflow": "low-risk", "name": "a\u0000b", "region": "330302", "attributes": {}}"#, 400, nil),
                (#"{"workflow": "low-risk", "name": "x", "region": "33030", "attributes": {"building-area-sqm": 1, "needs-water-connection": true}}"#, 422, "region"),
            ]
            for (body, status, field) in cases {
                let reply = try await server.call(.post, "/v1/projects", as: .investor, json: body)
                #expect(reply.status == status, "\(body) → \(reply.text)")
                #expect(reply.header("Content-Type") == "application/problem+json")
                if let field { #expect(reply.string("field") == field, "\(body) → \(reply.text)") }
            }
            let every = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {"building-area-sqm": "big", "colour": "red"}}
                """)
            let fields = Set(every.list("errors").compactMap { $0["field"] as? String })
            #expect(fields == ["attributes.building-area-sqm", "attributes.colour", "attributes.needs-water-connection"])
            #expect(try await server.call(.get, "/v1/projects/2603-330302-00-00-000001%00", as: .investor).status == 400)
            #expect(try await server.count("SELECT count(*)::int FROM projects") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM events") == 0)
        }
    }

    @Test func statusShowsClocksForecastAgentAndNextSteps() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            server.clock.advance(by: 86_400 * 2)  // Wednesday
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(status.status == 200)
            #expect(status.string("asOf") == "2026-03-04")
            let filing = status.item("project-filing")
            #expect(filing["state"] as? String == "accepted")
            #expect(filing["deadline"] as? String == "2026-03-03")  // limit 1 working day from Monday
            #expect(filing["overdue"] as? Bool == true)
            #expect(filing["warning"] as? String == "red")
            let clock = try #require(status.json["clock"] as? [String: Any])
            // Accepted on Monday: the clock counts from the next working day, so Tuesday and Wednesday.
            #expect(clock["usedDays"] as? Int == 2)
            #expect(clock["totalLimit"] as? Int == 90)
            let forecast = try #require(status.json["forecast"] as? [String: Any])
            #expect((forecast["criticalPath"] as? [String])?.first == "project-filing")
            #expect(forecast["completionDate"] is String)
            #expect(status.json["agent"] == nil)
            #expect(status.list("stages").count == 4)
        }
    }

    @Test func listIsScopedFilteredAndPaginated() async throws {
        try await TestServer.run { server in
            var codes: [String] = []
            for index in 1...5 { codes.append(try await server.createEnterpriseProject(name: "项目\(index)")) }
            let other = try await server.call(.post, "/v1/projects", as: .otherInvestor, json: """
                {"workflow": "low-risk", "name": "B 的项目", "region": "330302",
                 "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
                """)
            #expect(other.status == 201)

            let mine = try await server.call(.get, "/v1/projects?limit=2", as: .investor)
            #expect(mine.list("projects").map { $0["code"] as? String } == [codes[4], codes[3]])
            let cursor = try #require(mine.string("nextCursor"))
            let page2 = try await server.call(.get, "/v1/projects?limit=2&cursor=\(cursor)", as: .investor)
            #expect(page2.list("projects").map { $0["code"] as? String } == [codes[2], codes[1]])
            let page3 = try await server.call(.get, "/v1/projects?limit=2&cursor=\(try #require(page2.string("nextCursor")))", as: .investor)
            #expect(page3.list("projects").map { $0["code"] as? String } == [codes[0]])
            #expect(page3.string("nextCursor") == nil)

            #expect(try await server.call(.get, "/v1/projects", as: .otherInvestor).list("projects").count == 1)
            #expect(try await server.call(.get, "/v1/projects", as: .coordinator).list("projects").count == 6)
            #expect(try await server.call(.get, "/v1/projects", as: .otherRegionCoordinator).list("projects").isEmpty)
            #expect(try await server.call(.get, "/v1/projects", as: .leader).list("projects").count == 6)
            #expect(try await server.call(.get, "/v1/projects", as: .agent).list("projects").isEmpty)
            // Reviewers see projects with an applicable item of their department: ecology-environment has EIA
            // items in the enterprise workflow but none in low-risk.
            #expect(try await server.call(.get, "/v1/projects", as: .ecologyReviewer).list("projects").count == 5)

            #expect(try await server.call(.get, "/v1/projects?workflow=low-risk", as: .admin).list("projects").count == 1)
            #expect(try await server.call(.get, "/v1/projects?region=330100", as: .admin).list("projects").isEmpty)
            #expect(try await server.call(.get, "/v1/projects?stage=project-approval-land-use", as: .admin).list("projects").count == 6)
            #expect(try await server.call(.get, "/v1/projects?state=completed", as: .admin).list("projects").isEmpty)
            #expect(try await server.call(.get, "/v1/projects?warning=red", as: .admin).list("projects").isEmpty)

            let bad = try await server.call(.get, "/v1/projects?warning=purple", as: .admin)
            #expect(bad.status == 400)
            let badCursor = try await server.call(.get, "/v1/projects?cursor=zzz", as: .admin)
            #expect(badCursor.status == 400)
            #expect(badCursor.string("field") == "cursor")
        }
    }

    @Test func timelineListsEventsOldestFirstWithActors() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            try await server.act(code, "project-filing", #"{"action": "suspend", "suspension": {"reason": "supplement", "missingMaterials": ["营业执照"]}}"#, as: .reviewer)
            let timeline = try await server.call(.get, "/v1/projects/\(code)/timeline", as: .investor)
            let all = timeline.list("events")
            #expect(all.map { $0["seq"] as? Int } == Array(1...all.count).map { $0 })
            // The application's materials, each attached by the investor, between the submission and the acceptance.
            let attached = all.filter { $0["kind"] as? String == "material.attached" }
            #expect(!attached.isEmpty && attached.allSatisfy { ($0["actor"] as? [String: Any])?["role"] as? String == "investor" })
            let events = all.filter { $0["kind"] as? String != "material.attached" }
            #expect(events.map { $0["kind"] as? String } == ["project.created", "item.submit", "item.accept", "item.suspend"])
            try #require(events.count == 4)
            #expect(events[3]["from"] as? String == "accepted")
            #expect(events[3]["to"] as? String == "suspended")
            #expect((events[3]["detail"] as? String)?.contains("营业执照") == true)
            #expect((events[2]["actor"] as? [String: Any])?["role"] as? String == "reviewer")
        }
    }

    @Test func renameHonoursIfMatch() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let stale = try await server.call(.patch, "/v1/projects/\(code)", as: .investor, json: #"{"name": "新名"}"#,
                                              headers: ["If-Match": "\"7\""])
            #expect(stale.status == 412)
            #expect(stale.header("ETag") == "\"1\"")
            let renamed = try await server.call(.patch, "/v1/projects/\(code)", as: .investor, json: #"{"name": "新名"}"#,
                                                headers: ["If-Match": "\"1\""])
            #expect(renamed.status == 200)
            #expect(renamed.string("name") == "新名")
            #expect(renamed.header("ETag") == "\"2\"")
            let again = try await server.call(.patch, "/v1/projects/\(code)", as: .investor, json: #"{"name": "再改"}"#,
                                              headers: ["If-Match": "\"1\""])
            #expect(again.status == 412)
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .investor).string("name") == "新名")
        }
    }
}
