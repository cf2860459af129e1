import ApprovalServer
import Foundation
import Testing

@Suite("Leaders' dashboard", .timeLimit(.minutes(5)))
struct DashboardTests {
    /// Opens the sign-in form and posts it with `token`, as a browser does: the form's one-time value goes back
    /// with the cookie set beside it.
    static func postSignIn(_ server: TestServer, token: String, site: String = "/dashboard") async throws -> Reply {
        let form = try await server.call(.get, "\(site)/sign-in", as: nil)
        let cookie = try #require(form.header("Set-Cookie"))
        #expect(cookie.hasPrefix("approvals_sign_in=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        let nonce = try #require(form.text.firstMatch(of: /name="nonce" value="([^"]+)"/)?.1)
        return try await server.call(.post, "\(site)/sign-in", as: nil, json: "nonce=\(nonce)&token=\(token)",
                                     headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": String(cookie.split(separator: ";")[0])])
    }

    /// Signs in through the form and returns the session cookie.
    func signIn(_ server: TestServer, as user: TestUser) async throws -> String {
        let reply = try await Self.postSignIn(server, token: user.token)
        #expect(reply.status == 303, "\(reply.text)")
        let cookie = try #require(reply.headers[values: .setCookie].first { $0.hasPrefix("approvals_session=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"))
        return String(cookie.split(separator: ";")[0])
    }

    func page(_ server: TestServer, _ path: String, cookie: String) async throws -> Reply {
        try await server.call(.get, path, as: nil, headers: ["Cookie": cookie])
    }

    @Test func onlyLeadersCoordinatorsAndAdminsSignInAndPagesRenderOnAnEmptyDatabase() async throws {
        try await TestServer.run { server in
            let anonymous = try await server.call(.get, "/dashboard", as: nil)
            #expect(anonymous.status == 303 && anonymous.header("Location") == "/dashboard/sign-in")
            #expect(try await server.call(.get, "/dashboard/sign-in", as: nil).text.contains("访问令牌"))
            let investor = try await Self.postSignIn(server, token: TestUser.investor.token)
            #expect(investor.status == 403 && !investor.headers[values: .setCookie].contains { $0.hasPrefix("approvals_session=") })
            let wrong = try await Self.postSignIn(server, token: "nonsense")
            #expect(wrong.status == 401 && wrong.text.contains("令牌无效"))

            let cookie = try await signIn(server, as: .leader)
            for (path, heading) in [("/dashboard", "总览"), ("/dashboard/overdue", "暂无超期事项"), ("/dashboard/at-risk", "暂无超时风险项目"),
                                    ("/dashboard/departments", "部门效能")] {
                let reply = try await page(server, path, cookie: cookie)
                #expect(reply.status == 200, "\(path)")
                #expect(reply.header("Content-Type") == "text/html; charset=utf-8")
                #expect(reply.text.contains(heading), "\(path): \(reply.text)")
            }
            let forged = try await server.call(.post, "/dashboard/sign-out", as: nil, json: "csrf=0", headers: ["Cookie": cookie])
            #expect(forged.status == 403 && forged.header("Set-Cookie") == nil)
            let csrf = try #require(try await page(server, "/dashboard", cookie: cookie).text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
            let signedOut = try await server.call(.post, "/dashboard/sign-out", as: nil, json: "csrf=\(csrf)",
                                                  headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"])
            #expect(signedOut.header("Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try await page(server, "/dashboard", cookie: cookie).status == 303)
        }
    }

    @Test func seededPagesShowListsAGanttAndEscapeWhatUsersTyped() async throws {
        try await TestServer.run { server in
            let markup = #"<script>alert(\"x\")</script>厂房"#
            let code = try await server.createEnterpriseProject(name: markup)
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            try await server.act(code, "energy-review", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "energy-review")
            try await server.act(code, "energy-review", #"{"action": "accept"}"#, as: .reviewer)
            try await server.act(code, "energy-review", #"{"action": "suspend", "suspension": {"reason": "supplement", "missingMaterials": ["x"]}}"#,
                                 as: .reviewer)
            server.clock.advance(by: 86_400 * 5)

            let cookie = try await signIn(server, as: .coordinator)
            let overdue = try await page(server, "/dashboard/overdue?groupBy=stage", cookie: cookie)
            #expect(overdue.status == 200)
            #expect(overdue.text.contains("企业投资项目备案") && overdue.text.contains("共 1 项"))
            #expect(overdue.text.contains("&lt;script&gt;") && !overdue.text.contains("<script>"), "\(overdue.text)")

            let project = try await page(server, "/dashboard/projects/\(code)", cookie: cookie)
            #expect(project.status == 200)
            #expect(project.text.contains("<svg") && project.text.contains("今天 2026-03-07"))
            #expect(project.text.contains(#"class="pause""#))  // the energy review's supplement pause, shaded
            #expect(project.text.contains(#"class="overdue""#))  // the filing, past its deadline
            #expect(!project.text.contains("<script>"))

            let csv = try await page(server, "/dashboard/overdue.csv", cookie: cookie)
            #expect(csv.header("Content-Disposition")?.contains("overdue.csv") == true)
            #expect(csv.text.hasPrefix("\u{FEFF}分组"))

            // Another region's coordinator neither sees the project nor may widen the filter.
            let other = try await signIn(server, as: .otherRegionCoordinator)
            #expect(try await page(server, "/dashboard/projects/\(code)", cookie: other).status == 404)
            #expect(try await page(server, "/dashboard/overdue?region=330302", cookie: other).status == 403)
            #expect(try await page(server, "/dashboard/overdue", cookie: other).text.contains("暂无超期事项"))
        }
    }
}
