import ApprovalServer
import AsyncHTTPClient
import ApprovalStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// A local HTTP endpoint that records what it receives and answers with the status it is told to.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let headers: HTTPFields
        let body: Data

        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    }

    private let state = Mutex<(received: [Received], statuses: [HTTPResponse.Status])>(([], []))

    /// The statuses to answer with, in turn; after them, 200.
    func answer(_ statuses: [HTTPResponse.Status]) { state.withLock { $0.statuses = statuses } }
    var received: [Received] { state.withLock { $0.received } }

    func run(_ body: @Sendable (_ url: String) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let status = self.state.withLock { state in
                state.received.append(Received(headers: request.headers, body: Data(buffer: bytes)))
                return state.statuses.isEmpty ? .ok : state.statuses.removeFirst()
            }
            return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: status == .ok ? "thanks" : "receiver is down")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)/hook")
        }
    }
}

@Suite("Webhooks: signed deliveries, retries, dead letters and re-drive", .timeLimit(.minutes(5)))
struct WebhookTests {
    static let secret = "whsec-0123456789abcdef"

    func deliverer(_ server: TestServer, maxAttempts: Int = 3) -> WebhookDeliverer {
        // No backoff wait in tests: a failed delivery is due again at once (the backoff itself is tested below).
        WebhookDeliverer(database: server.database,
                         policy: WebhookPolicy(maxAttempts: maxAttempts, firstRetryDelay: .zero, requestTimeout: .seconds(5), egress: TestServer.testEgress),
                         metrics: server.context.metrics)
    }

    /// Subscribes Investor A to `url` and causes one notification for them (the filing accepted).
    func subscribeAndNotify(_ server: TestServer, url: String) async throws -> (webhook: Int, project: String) {
        let created = try await server.call(.post, "/v1/webhooks", as: .investor, json: #"{"url": "\#(url)", "secret": "\#(Self.secret)"}"#)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.string("secret") == nil && !created.text.contains(Self.secret))
        let code = try await server.createEnterpriseProject()
        try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
        try await server.attachEveryMaterial(code, "project-filing")
        try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
        return (created.int("id") ?? 0, code)
    }

    func deliveries(_ server: TestServer, _ webhook: Int, state: String? = nil) async throws -> [[String: Any]] {
        let reply = try await server.call(.get, "/v1/webhooks/\(webhook)/deliveries" + (state.map { "?state=\($0)" } ?? ""), as: .investor)
        #expect(reply.status == 200, "\(reply.text)")
        return reply.list("deliveries")
    }

    @Test func aDeliveryIsSignedOverTheTimestampAndTheBody() async throws {
        let receiver = WebhookReceiver()
        try await receiver.run { url in
            try await TestServer.run { server in
                let (webhook, code) = try await subscribeAndNotify(server, url: url)
                #expect(try await deliverer(server).deliverDue().delivered == 1)
                let request = try #require(receiver.received.first)
                #expect(receiver.received.count == 1)

                // Verified here from first principles, as a receiver would: HMAC-SHA256 over "<t>.<body>".
                let signature = try #require(request.header("X-Approvals-Signature"))
                let fields = Dictionary(uniqueKeysWithValues: signature.split(separator: ",").map { part in
                    let pair = part.split(separator: "=", maxSplits: 1)
                    return (String(pair[0]), String(pair[1]))
                })
                let timestamp = try #require(fields["t"].flatMap { Int($0) })
                #expect(abs(Date().timeIntervalSince1970 - Double(timestamp)) < 60)
                let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + request.body,
                                                          using: SymmetricKey(data: Data(Self.secret.utf8)))
                #expect(fields["v1"] == mac.map { String(format: "%02x", $0) }.joined())
                #expect(WebhookSignature.verify(header: signature, body: request.body, secret: Self.secret))
                #expect(!WebhookSignature.verify(header: signature, body: request.body + Data(" ".utf8), secret: Self.secret))
                #expect(!WebhookSignature.verify(header: signature, body: request.body, secret: "another-secret-entirely"))
                #expect(!WebhookSignature.verify(header: signature, body: request.body, secret: Self.secret,
                                                 now: Date().addingTimeInterval(3600)))

                let body = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
                #expect(body["kind"] as? String == "item.accept")
                #expect(body["title"] as? String == "事项已受理")
                #expect((body["project"] as? [String: Any])?["code"] as? String == code)
                #expect(request.header("X-Approvals-Event") == "item.accept")
                let delivered = try await deliveries(server, webhook)
                #expect(delivered.count == 1)
                #expect(delivered.first?["state"] as? String == "delivered")
                #expect(request.header("X-Approvals-Delivery") == (delivered.first?["id"] as? Int).map(String.init))
                // The same body is in the inbox.
                let inbox = try await server.call(.get, "/v1/notifications", as: .investor).list("notifications")
                #expect(inbox.first?["id"] as? Int == body["id"] as? Int)
                // Nothing is sent twice.
                #expect(try await deliverer(server).deliverDue() == .init())
                #expect(receiver.received.count == 1)
            }
        }
    }

    @Test func aFailedDeliveryIsRetriedWithTheSameDeliveryID() async throws {
        let receiver = WebhookReceiver()
        receiver.answer([.internalServerError])
        try await receiver.run { url in
            try await TestServer.run { server in
                let (webhook, _) = try await subscribeAndNotify(server, url: url)
                #expect(try await deliverer(server).deliverBatch() == .init(failed: 1))
                let pending = try #require(try await deliveries(server, webhook, state: "pending").first)
                #expect(pending["attempts"] as? Int == 1)
                #expect(pending["lastStatus"] as? Int == 500)
                // What went wrong, as a class: never the receiver's own words, which its owner could use to read
                // back whatever answers at a URL.
                #expect(pending["lastError"] as? String == "HTTP 500", "\(pending)")

                #expect(try await deliverer(server).deliverBatch() == .init(delivered: 1))
                #expect(receiver.received.count == 2)
                let ids = receiver.received.map { $0.header("X-Approvals-Delivery") }
                #expect(ids[0] == ids[1])
                #expect(receiver.received.map { $0.header("X-Approvals-Attempt") } == ["1", "2"])
                #expect(receiver.received[0].body == receiver.received[1].body)
                let delivered = try #require(try await deliveries(server, webhook).first)
                #expect(delivered["state"] as? String == "delivered" && delivered["attempts"] as? Int == 2)
                let metrics = try await server.call(.get, "/metrics", as: nil).text
                #expect(metrics.contains(#"webhook_delivery_failures_total{outcome="retry"} 1"#), "\(metrics)")
                #expect(metrics.contains("webhook_deliveries_pending 0"))
            }
        }
    }

    @Test func aDeliveryIsDeadLetteredAfterTheLastAttemptAndCanBeRedriven() async throws {
        let receiver = WebhookReceiver()
        receiver.answer([.serviceUnavailable, .badGateway, .internalServerError])
        try await receiver.run { url in
            try await TestServer.run { server in
                let (webhook, _) = try await subscribeAndNotify(server, url: url)
                let results = try await [deliverer(server, maxAttempts: 3).deliverBatch(), deliverer(server, maxAttempts: 3).deliverBatch(),
                                         deliverer(server, maxAttempts: 3).deliverBatch()]
                #expect(results == [.init(failed: 1), .init(failed: 1), .init(failed: 1, deadLettered: 1)])
                #expect(receiver.received.count == 3)
                let dead = try await deliveries(server, webhook, state: "dead")
                #expect(dead.count == 1)
                #expect(dead.first?["attempts"] as? Int == 3 && dead.first?["lastStatus"] as? Int == 500)
                #expect(dead.first?["nextAttemptAt"] == nil)
                // Dead means no more attempts.
                #expect(try await deliverer(server, maxAttempts: 3).deliverDue() == .init())
                let metrics = try await server.call(.get, "/metrics", as: nil).text
                #expect(metrics.contains(#"webhook_delivery_failures_total{outcome="dead_letter"} 1"#), "\(metrics)")

                // Someone else cannot see or re-drive it.
                #expect(try await server.call(.get, "/v1/webhooks/\(webhook)/deliveries", as: .otherInvestor).status == 404)
                #expect(try await server.call(.post, "/v1/webhooks/\(webhook)/redrive", as: .otherInvestor).status == 404)
                // A pending or unknown delivery named explicitly is refused, not silently skipped.
                let unknown = try await server.call(.post, "/v1/webhooks/\(webhook)/redrive", as: .investor, json: #"{"deliveries": [999999]}"#)
                #expect(unknown.status == 409, "\(unknown.text)")
                let redriven = try await server.call(.post, "/v1/webhooks/\(webhook)/redrive", as: .investor)
                #expect(redriven.status == 200, "\(redriven.text)")
                #expect((redriven.json["redriven"] as? [Int]) == [dead.first?["id"] as? Int].compactMap { $0 })
                #expect(try await deliverer(server, maxAttempts: 3).deliverDue() == .init(delivered: 1))
                #expect(try await deliveries(server, webhook, state: "delivered").count == 1)
                // Once a minute at most: re-driving again at once is refused with the seconds to wait.
                let again = try await server.call(.post, "/v1/webhooks/\(webhook)/redrive", as: .investor)
                #expect(again.status == 429, "\(again.text)")
                #expect(again.string("type") == "/problems/too-many-requests")
                #expect((1...60).contains(Int(again.header("Retry-After") ?? "") ?? 0), "\(again.headers)")
                try await server.sql("UPDATE webhook_subscriptions SET redriven_at = now() - interval '61 seconds'")
                #expect(try await server.call(.post, "/v1/webhooks/\(webhook)/redrive", as: .investor).status == 200)
            }
        }
    }

    @Test func aReceiverThatCannotBeReachedCountsAsAFailure() async throws {
        try await TestServer.run { server in
            // Port 9 (discard) on loopback: nothing listens, so the connection is refused.
            let (webhook, _) = try await subscribeAndNotify(server, url: "http://127.0.0.1:9/hook")
            #expect(try await deliverer(server).deliverBatch() == .init(failed: 1))
            let pending = try #require(try await deliveries(server, webhook).first)
            #expect(pending["state"] as? String == "pending")
            #expect(pending["lastStatus"] == nil && (pending["lastError"] as? String)?.isEmpty == false)
        }
    }

    /// Every subscription multiplies each notification into an outbound request: a user keeps at most ten.
    @Test func aUserKeepsAtMostTenWebhooks() async throws {
        try await TestServer.run { server in
            for n in 1...4 {
                let created = try await server.call(.post, "/v1/webhooks", as: .investor,
                                                    json: #"{"url": "https://hooks.example.org/\#(n)", "secret": "\#(Self.secret)"}"#)
                #expect(created.status == 201, "\(created.text)")
            }
            // Ten more at once, each with its own Idempotency-Key as a client sends them: six fit, however the
            // requests interleave, and none fails.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 5...14 {
                    group.addTask {
                        try await server.call(.post, "/v1/webhooks", as: .investor,
                                              json: #"{"url": "https://hooks.example.org/\#(n)", "secret": "\#(Self.secret)"}"#,
                                              headers: ["Idempotency-Key": "webhook-\(n)"]).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 6 && statuses.filter { $0 == 409 }.count == 4, "\(statuses)")
            #expect(try await server.call(.get, "/v1/webhooks", as: .investor).list("webhooks").count == 10)
            let eleventh = try await server.call(.post, "/v1/webhooks", as: .investor,
                                                 json: #"{"url": "https://hooks.example.org/11", "secret": "\#(Self.secret)"}"#)
            #expect(eleventh.status == 409 && eleventh.string("type") == "/problems/webhook-limit", "\(eleventh.text)")
            // Another user's allowance is their own; a deleted webhook frees a place.
            #expect(try await server.call(.post, "/v1/webhooks", as: .agent,
                                          json: #"{"url": "https://hooks.example.org/a", "secret": "\#(Self.secret)"}"#).status == 201)
            let first = try #require(try await server.call(.get, "/v1/webhooks", as: .investor).list("webhooks").first?["id"] as? Int)
            #expect(try await server.call(.delete, "/v1/webhooks/\(first)", as: .investor).status == 204)
            #expect(try await server.call(.post, "/v1/webhooks", as: .investor,
                                          json: #"{"url": "https://hooks.example.org/11", "secret": "\#(Self.secret)"}"#).status == 201)
        }
    }

    @Test func subscriptionsAreValidatedAndPrivateToTheirOwner() async throws {
        try await TestServer.run { server in
            // The contract's bound (the secret's length) is checked before the handler reads the URL.
            let shortSecret = try await server.call(.post, "/v1/webhooks", as: .agent, json: #"{"url": "ftp://example.org/x", "secret": "short"}"#)
            #expect(shortSecret.status == 422 && shortSecret.string("field") == "secret", "\(shortSecret.text)")
            let badURL = try await server.call(.post, "/v1/webhooks", as: .agent, json: #"{"url": "ftp://example.org/x", "secret": "\#(Self.secret)"}"#)
            #expect(badURL.status == 422)
            #expect(badURL.header("Content-Type") == "application/problem+json")
            #expect(badURL.string("field") == "url", "\(badURL.text)")
            #expect(try await server.call(.post, "/v1/webhooks", as: .agent, json: #"{"url": "http://example.org/x"}"#).status == 400)

            let created = try await server.call(.post, "/v1/webhooks", as: .agent, json: #"{"url": "https://example.org/hook", "secret": "\#(Self.secret)"}"#)
            #expect(created.status == 201)
            let id = try #require(created.int("id"))
            #expect(try await server.call(.get, "/v1/webhooks", as: .agent).list("webhooks").map { $0["id"] as? Int } == [id])
            #expect(try await server.call(.get, "/v1/webhooks", as: .otherAgent).list("webhooks").isEmpty)
            #expect(try await server.call(.get, "/v1/webhooks", as: .admin).list("webhooks").count == 1)
            #expect(try await server.call(.delete, "/v1/webhooks/\(id)", as: .otherAgent).status == 404)
            #expect(try await server.call(.delete, "/v1/webhooks/\(id)", as: .agent).status == 204)
            #expect(try await server.call(.get, "/v1/webhooks", as: .agent).list("webhooks").isEmpty)
            #expect(try await server.call(.post, "/v1/webhooks/\(id)/redrive", as: .agent).status == 409)
        }
    }

    @Test func retriesBackOffExponentiallyUpToTheMaximum() {
        let policy = WebhookPolicy()
        #expect((1...6).map { policy.retryDelay(afterAttempt: $0) } == [30, 60, 120, 240, 480, 960].map { Duration.seconds($0) })
        #expect(policy.retryDelay(afterAttempt: 20) == .seconds(6 * 3600))
        #expect(policy.retryDelay(afterAttempt: 100) == .seconds(6 * 3600))
    }

    /// Deliveries recorded before failures were classed kept some of the receiver's answer; migration 0023 keeps
    /// only the class, which is all a webhook's owner sees from now on.
    @Test func deliveriesRecordedEarlierKeepOnlyTheClassOfTheirFailure() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject(name: "旧投递记录")
            let investor = server.userIDs[.investor]!
            let recorded = [#"HTTP 500: {"internal":"db password is hunter2"}"#, "timeout", "HTTPClientError.remoteConnectionClosed: SELECT secret FROM vault",
                            "HTTP 404", "subscription removed"]
            try await server.sql("INSERT INTO webhook_subscriptions (user_id, url, secret) VALUES (\(investor), 'https://receiver.example/hook', '0123456789abcdef')")
            for (seq, error) in recorded.enumerated() {
                try await server.sql("""
                    WITH n AS (INSERT INTO notifications (user_id, project_id, event_seq, kind, audience, title, details, at)
                               SELECT \(investor), id, \(seq + 1), 'project.created', 'investor', 't', '{}', now() FROM projects WHERE code = '\(code)'
                               RETURNING id)
                    INSERT INTO webhook_deliveries (subscription_id, notification_id, state, attempts, last_error)
                    SELECT (SELECT max(id) FROM webhook_subscriptions), n.id, 'dead', 8, '\(error.replacingOccurrences(of: "'", with: "''"))' FROM n
                    """)
            }
            let migration = try String(contentsOf: projectRoot.appending(path: "Migrations/0023_delivery_error_classes.sql"), encoding: .utf8)
            try await server.sql(migration)
            let webhook = try await server.count("SELECT max(id)::int FROM webhook_subscriptions")
            let deliveries = try await server.call(.get, "/v1/webhooks/\(webhook)/deliveries", as: .investor)
            #expect(deliveries.status == 200, "\(deliveries.text)")
            let errors = deliveries.list("deliveries").compactMap { $0["lastError"] as? String }
            #expect(errors.sorted() == ["HTTP 404", "HTTP 500", "network error", "subscription removed", "timeout"], "\(deliveries.text)")
            #expect(!deliveries.text.contains("hunter2") && !deliveries.text.contains("vault"))
        }
    }
}
