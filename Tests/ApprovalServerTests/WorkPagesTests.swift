import ApprovalServer
import Foundation
import Testing

/// The working pages (/m) over HTTP: sessions, CSRF, idempotent forms and the API's access rules. The pages in a
/// real browser, at phone size, are scripts/browser-test.
@Suite("Working pages", .timeLimit(.minutes(5)))
struct WorkPagesTests {
    struct Session {
        let cookie: String
        let server: TestServer

        func get(_ path: String) async throws -> Reply {
            try await server.call(.get, path, as: nil, headers: ["Cookie": cookie])
        }

        /// Posts a form as a browser does, with `csrf` as its CSRF value.
        func post(_ path: String, _ fields: [(String, String)], csrf: String) async throws -> Reply {
            let body = ([("csrf", csrf)] + fields).map { name, value in
                "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&")
            return try await server.call(.post, path, as: nil, json: body,
                                         headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"])
        }
    }

    static func signIn(_ server: TestServer, as user: TestUser) async throws -> Session {
        let form = try await server.call(.get, "/m/sign-in", as: nil)
        let nonceCookie = try #require(form.header("Set-Cookie"))
        let nonce = try #require(form.text.firstMatch(of: /name="nonce" value="([^"]+)"/)?.1)
        let reply = try await server.call(.post, "/m/sign-in", as: nil, json: "nonce=\(nonce)&token=\(user.token)",
                                          headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": String(nonceCookie.split(separator: ";")[0])])
        #expect(reply.status == 303 && reply.header("Location") == "/m", "\(reply.text)")
        let cookie = try #require(reply.headers[values: .setCookie].first { $0.hasPrefix("approvals_session=") })
        #expect(cookie.contains("Path=/m;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        return Session(cookie: String(cookie.split(separator: ";")[0]), server: server)
    }

    /// A project with its filing accepted (waiting on the development and reform window) and `.agent` assigned.
    static func projectUnderReview(_ server: TestServer) async throws -> String {
        let code = try await server.createEnterpriseProject(name: "工作页面测试项目")
        try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
        try await server.attachEveryMaterial(code, "project-filing")
        _ = try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
        return code
    }

    @Test func everyRoleSignsInAndLandsOnItsWorkAndStrangersAreSentToSignIn() async throws {
        try await TestServer.run { server in
            let anonymous = try await server.call(.get, "/m/queue", as: nil)
            #expect(anonymous.status == 303 && anonymous.header("Location") == "/m/sign-in")
            let reviewer = try await Self.signIn(server, as: .reviewer)
            #expect(try await reviewer.get("/m").header("Location") == "/m/queue")
            let queue = try await reviewer.get("/m/queue")
            #expect(queue.status == 200 && queue.text.contains("待办 · 发展和改革局") && queue.text.contains("此类待办已清空"), "\(queue.text)")
            let agent = try await Self.signIn(server, as: .agent)
            #expect(try await agent.get("/m").header("Location") == "/m/projects")
            #expect(try await agent.get("/m/projects").text.contains("我代办的项目"))
            // The dashboard's session is not this site's: its cookie is scoped to /dashboard, and the reverse.
            #expect(try await server.call(.get, "/dashboard", as: nil, headers: ["Cookie": agent.cookie]).status == 303)
        }
    }

    @Test func aReviewersFormsActThroughTheAPIOnlyWithThePagesCSRFValueAndOnlyOnce() async throws {
        try await TestServer.run { server in
            let code = try await Self.projectUnderReview(server)
            let reviewer = try await Self.signIn(server, as: .reviewer)
            let project = try await reviewer.get("/m/projects/\(code)")
            #expect(project.status == 200 && project.text.contains("受理"), "\(project.text)")
            // Days left belong to an item whose application is in: none on one not yet applied for.
            let item = { (id: String) in project.text.components(separatedBy: #"id=""#).first { $0.hasPrefix(id + #"""#) } ?? "" }
            #expect(item("project-filing").contains("剩余 1 个工作日") && !item("energy-review").isEmpty && !item("energy-review").contains("剩余"),
                    "\(item("energy-review"))")
            let csrf = try #require(project.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
            let path = "/m/projects/\(code)/items/project-filing/action"

            let forged = try await reviewer.post(path, [("action", "accept"), ("key", "k1"), ("back", "/m/queue")], csrf: "0000")
            #expect(forged.status == 403 && forged.text.contains("表单已过期"))
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")["state"] as? String == "submitted")

            let accepted = try await reviewer.post(path, [("action", "accept"), ("key", "k1"), ("back", "/m/queue")], csrf: String(csrf))
            #expect(accepted.status == 303 && accepted.header("Location") == "/m/queue?done=accept", "\(accepted.text)")
            // A double tap sends the same form (the same key) again: the API replays the first answer.
            let again = try await reviewer.post(path, [("action", "accept"), ("key", "k1"), ("back", "/m/queue")], csrf: String(csrf))
            #expect(again.status == 303, "\(again.text)")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.accept'") == 1)

            // What the API refuses is shown with its reason and status; nothing changes.
            let refused = try await reviewer.post(path, [("action", "accept"), ("key", "k2"), ("back", "/m/queue")], csrf: String(csrf))
            #expect(refused.status == 409 && refused.text.contains("未能完成（409）") && refused.text.contains(#"href="/m/queue""#), "\(refused.text)")
            // The page to come back to is one of this site's; anything else is the site's home.
            let elsewhere = try await reviewer.post(path, [("action", "approve"), ("key", "k3"), ("back", "//evil.example/m/")], csrf: String(csrf))
            #expect(elsewhere.status == 303 && elsewhere.header("Location") == "/m?done=approve", "\(String(describing: elsewhere.header("Location")))")
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")["state"] as? String == "approved")
        }
    }

    @Test func thePagesFollowTheAPIsAccessRules() async throws {
        try await TestServer.run { server in
            let code = try await Self.projectUnderReview(server)
            // Another agent's project does not exist for this one, as in the API.
            let other = try await Self.signIn(server, as: .otherAgent)
            let hidden = try await other.get("/m/projects/\(code)")
            #expect(hidden.status == 404 && !hidden.text.contains("工作页面测试项目"), "\(hidden.text)")
            // A reviewer of another department sees the project (its item applies) but may not decide the filing.
            let ecology = try await Self.signIn(server, as: .ecologyReviewer)
            let page = try await ecology.get("/m/projects/\(code)")
            #expect(page.status == 200 && !page.text.contains(#"value="accept""#), "\(page.text)")
            let csrf = try #require(page.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1, "\(page.text)")
            let refused = try await ecology.post("/m/projects/\(code)/items/project-filing/action", [("action", "accept"), ("key", "e1")], csrf: String(csrf))
            #expect(refused.status == 403, "\(refused.text)")
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")["state"] as? String == "submitted")

            // The project's agent logs progress from the page; the contract's bounds hold as for the API.
            let agent = try await Self.signIn(server, as: .agent)
            let own = try await agent.get("/m/projects/\(code)")
            let agentCSRF = try #require(own.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1, "\(own.text)")
            let tooLong = try await agent.post("/m/projects/\(code)/progress", [("kind", "site_visit"), ("text", String(repeating: "x", count: 2001))],
                                               csrf: String(agentCSRF))
            #expect(tooLong.status == 400 || tooLong.status == 422, "\(tooLong.status) \(tooLong.text)")
            let logged = try await agent.post("/m/projects/\(code)/progress",
                                              [("kind", "site_visit"), ("text", "现场核验"), ("nextStepOn", "2026-03-10"), ("key", "p1"),
                                               ("back", "/m/projects/\(code)")], csrf: String(agentCSRF))
            #expect(logged.status == 303 && logged.header("Location") == "/m/projects/\(code)?done=progress", "\(logged.text)")
            let list = try await agent.get("/m/projects")
            #expect(list.text.contains("工作页面测试项目") && list.text.contains("下一步 2026-03-10"), "\(list.text)")
            let progress = try await server.call(.get, "/v1/projects/\(code)/progress", as: .agent)
            #expect(progress.text.contains("现场核验") && progress.text.contains("2026-03-10"), "\(progress.text)")
        }
    }
}
