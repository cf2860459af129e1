import ApprovalSeed
import ApprovalServer
import ApprovalStore
import Foundation
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// What makes the server safe to run inside a government network: sessions that end when their token does, a
/// sign-in another site cannot drive, headers that keep pages out of frames, connections that cannot be held
/// open, pruning, probes that cost nothing and say nothing internal, and no public token outside development.
@Suite("Deployment security: sessions, headers, probes, retention, public tokens", .timeLimit(.minutes(5)))
struct DeploymentSecurityTests {
    func tokenID(_ server: TestServer, _ user: TestUser) async throws -> Int {
        try await server.count("SELECT id::int FROM tokens WHERE user_id = \(server.userIDs[user]!)")
    }

    /// Both page sites, the leaders' dashboard and the working pages, share one sign-in and one kind of session.
    static let sites = ["/dashboard", "/m"]

    @Test(arguments: sites) func aSignInFormPostedFromElsewhereSignsNoOneIn(site: String) async throws {
        try await TestServer.run { server in
            // Another site's form carries the token it wants the browser to use, but neither our cookie nor its value.
            let forged = try await server.call(.post, "\(site)/sign-in", as: nil, json: "token=\(TestUser.leader.token)",
                                               headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(forged.status == 403, "\(forged.text)")
            #expect(!forged.headers[values: .setCookie].contains { $0.hasPrefix("approvals_session=") })
            let mismatched = try await server.call(.post, "\(site)/sign-in", as: nil, json: "nonce=a&token=\(TestUser.leader.token)",
                                                   headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": "approvals_sign_in=b"])
            #expect(mismatched.status == 403)
            #expect(!mismatched.headers[values: .setCookie].contains { $0.hasPrefix("approvals_session=") })
            #expect(try await DashboardTests.postSignIn(server, token: TestUser.leader.token, site: site).status == 303)
        }
    }

    @Test(arguments: sites) func revokingOrExpiringATokenEndsItsSessions(site: String) async throws {
        try await TestServer.run { server in
            func session(_ token: String) async throws -> String {
                let signIn = try await DashboardTests.postSignIn(server, token: token, site: site)
                #expect(signIn.status == 303, "\(signIn.text)")
                return String(try #require(signIn.headers[values: .setCookie].first { $0.hasPrefix("approvals_session=") }).split(separator: ";")[0])
            }
            // A page of the site that a leader reads (the working pages' home sends them on to it).
            let page = site == "/m" ? "/m/projects" : site
            let cookie = try await session(TestUser.leader.token)
            #expect(try await server.call(.get, page, as: nil, headers: ["Cookie": cookie]).status == 200)
            #expect(try await server.call(.delete, "/v1/tokens/\(try await tokenID(server, .leader))", as: .leader).status == 204)
            let after = try await server.call(.get, page, as: nil, headers: ["Cookie": cookie])
            #expect(after.status == 303 && after.header("Location") == "\(site)/sign-in")

            // A token issued for a period signs in until then, and its sessions with it.
            let coordinator = try #require(server.userIDs[.coordinator])
            let expiry = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
            let issued = try await server.call(.post, "/v1/users/\(coordinator)/tokens", as: .admin, json: #"{"expiresAt": "\#(expiry)"}"#)
            #expect(issued.status == 201 && issued.string("expiresAt") != nil, "\(issued.text)")
            let token = try #require(issued.string("token"))
            #expect(try await server.call(.get, "/v1/me", as: nil, headers: ["Authorization": "Bearer \(token)"]).status == 200)
            let expiring = try await session(token)
            #expect(try await server.call(.get, page, as: nil, headers: ["Cookie": expiring]).status == 200)
            try await server.sql("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = \(issued.int("id") ?? 0)")
            #expect(try await server.call(.get, "/v1/me", as: nil, headers: ["Authorization": "Bearer \(token)"]).status == 401)
            #expect(try await server.call(.get, page, as: nil, headers: ["Cookie": expiring]).status == 303)

            let past = try await server.call(.post, "/v1/users/\(coordinator)/tokens", as: .admin, json: #"{"expiresAt": "2020-01-01T00:00:00Z"}"#)
            #expect(past.status == 422 && past.string("field") == "expiresAt", "\(past.text)")
        }
    }

    @Test(arguments: sites) func cookiesAreSecureWhenThePublicURLIsHTTPS(site: String) async throws {
        let settings = ServerSettings(publicURL: URL(string: "https://approvals.example.gov.cn"), gaugeRefresh: .zero)
        try await TestServer.run(settings: settings) { server in
            let form = try await server.call(.get, "\(site)/sign-in", as: nil)
            #expect(form.header("Set-Cookie")?.contains("; Secure") == true)
            let signIn = try await DashboardTests.postSignIn(server, token: TestUser.leader.token, site: site)
            #expect(signIn.headers[values: .setCookie].allSatisfy { $0.contains("; Secure") && $0.contains("Path=\(site)") }, "\(signIn.headers)")
        }
    }

    @Test func everyResponseForbidsFramingAndSniffing() async throws {
        try await TestServer.run { server in
            for (path, user) in [("/dashboard/sign-in", nil), ("/m/sign-in", nil), ("/v1/me", TestUser.admin), ("/v1/projects/nope", .admin),
                                 ("/nowhere", nil)] as [(String, TestUser?)] {
                let reply = try await server.call(.get, path, as: user)
                #expect(reply.header("Content-Security-Policy") == "default-src 'self'; frame-ancestors 'none'", "\(path)")
                #expect(reply.header("X-Content-Type-Options") == "nosniff", "\(path)")
            }
            // Pages hold no inline style, which the policy would block: styles come from the stylesheet.
            for site in Self.sites {
                let page = try await server.call(.get, "\(site)/sign-in", as: nil).text
                #expect(!page.contains("<style") && !page.contains("style=") && page.contains(#"href="/dashboard/style.css""#), "\(site)")
            }
            let css = try await server.call(.get, "/dashboard/style.css", as: nil)
            #expect(css.status == 200 && css.header("Content-Type") == "text/css; charset=utf-8" && css.text.contains("svg .overdue"))
        }
    }

    /// A client that opens a connection and sends its headers a little at a time, or never finishes them, is cut
    /// off after the idle timeout instead of holding a connection for ever (slowloris): only a whole request head
    /// counts as activity, not its bytes.
    @Test func aConnectionThatNeverFinishesItsHeadersIsClosed() async throws {
        let settings = ServerSettings(gaugeRefresh: .zero, idleTimeout: .seconds(1))
        try await TestServer.run(setup: .live, settings: settings) { server in
            let port = try #require(server.client.port)
            #expect(try await Self.isClosedByServer(port: port, sending: "GET /v1/me HTTP/1.1\r\nHost: localhost\r\n", trickle: false, within: 10))
            #expect(try await Self.isClosedByServer(port: port, sending: "GET /v1/me HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + String(repeating: "a", count: 40),
                                                    trickle: true, within: 10))
        }
    }

    /// Connects, sends `text` (with `trickle`, a byte every 200 ms), and waits up to `seconds` for the server to
    /// close the connection.
    static func isClosedByServer(port: Int, sending text: String, trickle: Bool, within seconds: Int) async throws -> Bool {
        try await TestProcesses.withSocket(port: port, timeout: seconds) { socket in
            if trickle {
                // Eight seconds of one byte at a time: the server must close the connection meanwhile (send then fails).
                for byte in text.utf8 {
                    var one = byte
                    guard send(socket, &one, 1, Int32(MSG_NOSIGNAL)) == 1 else { return true }
                    usleep(200_000)
                }
            } else {
                _ = text.withCString { send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            }
            var buffer = [UInt8](repeating: 0, count: 512)
            // 0: the server closed it; -1: the wait ran out with the connection still open.
            return recv(socket, &buffer, buffer.count, 0) == 0
        }
    }

    @Test func oldIdempotencyKeysAndSettledNotificationsArePruned() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject(extra: "")
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor, headers: ["Idempotency-Key": "old-key"])
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer, headers: ["Idempotency-Key": "new-key"])
            try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer)
            #expect(try await server.count("SELECT count(*)::int FROM notifications") >= 2)
            try await server.sql("UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE key = 'old-key'")
            try await server.sql("UPDATE notifications SET at = now() - interval '400 days'")
            // One old notification still has a delivery pending: it stays until the delivery settles.
            try await server.sql("""
                INSERT INTO webhook_subscriptions (user_id, url, secret) VALUES (\(server.userIDs[.investor]!), 'https://example.org/h', 'whsec-0123456789abcdef')
                """)
            try await server.sql("""
                INSERT INTO webhook_deliveries (subscription_id, notification_id)
                SELECT s.id, (SELECT min(id) FROM notifications) FROM webhook_subscriptions s
                """)
            try await DeadlineSweeper(context: server.context).pruneExpired()
            #expect(try await server.count("SELECT count(*)::int FROM idempotency_keys WHERE key = 'old-key'") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM idempotency_keys WHERE key = 'new-key'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM notifications") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM webhook_deliveries") == 1)
        }
    }

    @Test func metricsNeedTheTokenWhenOneIsSetAndScrapesDoNotQueryEachTime() async throws {
        let settings = ServerSettings(metricsToken: "metrics-secret-0123", gaugeRefresh: .seconds(3600))
        try await TestServer.run(settings: settings) { server in
            #expect(try await server.call(.get, "/metrics", as: nil).status == 401)
            #expect(try await server.call(.get, "/metrics", as: nil, headers: ["Authorization": "Bearer wrong"]).status == 401)
            let auth = ["Authorization": "Bearer metrics-secret-0123"]
            let first = try await server.call(.get, "/metrics", as: nil, headers: auth)
            #expect(first.status == 200 && first.text.contains(#"items{state="ready"} 0"#), "\(first.text)")
            // Items are created, but the gauges are read at most once an interval, however often scraped.
            _ = try await server.createEnterpriseProject()
            let second = try await server.call(.get, "/metrics", as: nil, headers: auth)
            #expect(second.text.contains(#"items{state="ready"} 0"#))
        }
        // Read again after the interval: from the tallies, not a scan of items (a tally row no item has shows).
        try await TestServer.run { server in
            _ = try await server.createEnterpriseProject()
            let items = try await server.count("SELECT count(*)::int FROM items WHERE state = 'ready'")
            #expect(items > 0)
            try await server.sql("""
                INSERT INTO department_tally (region, department, state, limit_days, escalated, items, repeat_supplements, compacted)
                VALUES ('330302', 'development-reform', 'ready', 1, false, 5, 0, false)
                """)
            #expect(try await server.call(.get, "/metrics", as: nil).text.contains(#"items{state="ready"} \#(items + 5)"#))
        }
    }

    @Test func readinessSaysWhatIsWrongWithoutInternalErrorText() async throws {
        try await TestServer.run { server in
            try await server.sql("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
            let ready = try await server.call(.get, "/readyz", as: nil)
            #expect(ready.status == 503)
            #expect(ready.string("database") == "schema differs from the migrations: see the server's log", "\(ready.text)")
            #expect(!ready.text.contains("0001") && !ready.text.contains("checksum"))
        }
    }

    @Test func serveOutsideDevelopmentRefusesToStartWhilePublicTokensSignIn() async throws {
        try await TestServer.run { server in
            // The tests' tokens are public (chosen, not drawn), like the demo's.
            let holders = try await server.database.read { try await UserRepository.holdersOfPublicTokens(known: [], on: $0, logger: server.database.logger) }
            #expect(holders.count == TestUser.allCases.count)
            let (status, text) = try await TestProcesses.approvals(
                ["serve", "--port", "0", "--no-migrate", "--workflows", projectRoot.appending(path: "Workflows").path,
                 "--migrations", projectRoot.appending(path: "Migrations").path, "--log-level", "error"], databaseURL: server.location.url)
            #expect(status != 0)
            #expect(text.contains("public tokens") && text.contains("(admin)"), "\(text)")

            // A random token is not public; once the public ones are revoked, nobody holds one.
            try await server.sql("UPDATE tokens SET revoked_at = now() WHERE public_secret")
            let admin = try #require(server.userIDs[.admin])
            _ = try await server.database.transaction { try await UserRepository.issueToken(for: admin, on: $0, logger: server.database.logger) }
            #expect(try await server.database.read { try await UserRepository.holdersOfPublicTokens(known: DemoData.publicSecrets, on: $0, logger: server.database.logger) }.isEmpty)
            // A demo token however it got there (an older version's demo, a hand-made row) is public too.
            try await server.sql("""
                INSERT INTO tokens (user_id, digest) VALUES (\(admin), sha256(convert_to('demo-agent-township', 'UTF8')))
                """)
            let found = try await server.database.read { try await UserRepository.holdersOfPublicTokens(known: DemoData.publicSecrets, on: $0, logger: server.database.logger) }
            #expect(found.map(\.id) == [admin])
        }
    }

    /// A failed query's bind values (a name, a phone number, a token's digest) never reach a log line.
    @Test func loggedDatabaseErrorsCarryTheStatementNotItsValues() async throws {
        try await TestServer.run { server in
            let secret = "phone-13800138000"
            do {
                _ = try await server.database.read { try await $0.query("SELECT \(secret)::int", logger: server.database.logger).collect() }
                Issue.record("the cast succeeded")
            } catch {
                #expect(String(reflecting: error).contains(secret))  // what PostgresNIO itself would print
                let logged = LoggedError.describe(error)
                #expect(!logged.contains(secret), "\(logged)")
                #expect(logged.contains("SQLSTATE 22P02") && logged.contains("SELECT $1::int"), "\(logged)")
            }
        }
    }
}
