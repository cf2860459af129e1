import ApprovalServer
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Webhooks never reach this machine or the network it sits in unless an operator allows it: a webhook is the one
/// way a signed-in stranger (an investor) makes the server send requests.
@Suite("Webhook egress: outbound calls fenced", .timeLimit(.minutes(5)))
struct WebhookEgressTests {
    @Test func internalAddressesAreRefusedWhenAWebhookIsRegistered() async throws {
        try await TestServer.run { server in
            // The test server allows 127.0.0.1 alone (its receivers listen there); everything else inside is refused.
            for url in ["https://127.0.0.2:5432/", "https://10.0.0.5/hook", "https://172.16.3.4/", "https://192.168.1.1/",
                        "https://169.254.169.254/latest/meta-data/", "https://100.64.0.1/", "https://[::1]/", "https://[fe80::1]/",
                        "https://[fd00::1]/", "https://0.0.0.0/", "https://[::ffff:10.0.0.1]/", "https://224.0.0.1/"] {
                let reply = try await server.call(.post, "/v1/webhooks", as: .investor, json: #"{"url": "\#(url)", "secret": "whsec-0123456789abcdef"}"#)
                #expect(reply.status == 422 && reply.string("field") == "url", "\(url): \(reply.text)")
            }
            // Plain http only to a host the operator allows.
            let http = try await server.call(.post, "/v1/webhooks", as: .investor, json: #"{"url": "http://hooks.example.org/x", "secret": "whsec-0123456789abcdef"}"#)
            #expect(http.status == 422 && http.text.contains("https"), "\(http.text)")
            // A public address, and the allowed loopback one, are accepted.
            for url in ["https://93.184.216.34/hook", "http://127.0.0.1:9/hook"] {
                let reply = try await server.call(.post, "/v1/webhooks", as: .investor, json: #"{"url": "\#(url)", "secret": "whsec-0123456789abcdef"}"#)
                #expect(reply.status == 201, "\(url): \(reply.text)")
            }
        }
    }

    @Test func aDeliveryToADestinationNoLongerAllowedIsNotSent() async throws {
        let receiver = WebhookReceiver()
        try await receiver.run { url in
            try await TestServer.run { server in
                let created = try await server.call(.post, "/v1/webhooks", as: .investor, json: #"{"url": "\#(url)", "secret": "whsec-0123456789abcdef"}"#)
                #expect(created.status == 201, "\(created.text)")
                let code = try await server.createEnterpriseProject()
                try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
                try await server.attachEveryMaterial(code, "project-filing")
                try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
                // The operator's allow-list no longer names loopback: the deliverer checks again and sends nothing.
                let strict = WebhookDeliverer(database: server.database,
                                              policy: WebhookPolicy(maxAttempts: 3, firstRetryDelay: .zero, requestTimeout: .seconds(5)),
                                              metrics: server.context.metrics)
                #expect(try await strict.deliverBatch() == .init(failed: 1))
                #expect(receiver.received.isEmpty)
                let webhook = try #require(created.int("id"))
                let pending = try await server.call(.get, "/v1/webhooks/\(webhook)/deliveries", as: .investor).list("deliveries")
                #expect(pending.first?["lastError"] as? String == "destination not allowed", "\(pending)")
            }
        }
    }

    @Test func anAllowListNamesHostsAndNetworks() throws {
        #expect(throws: WebhookEgressError.self) { try WebhookEgress(allow: "10.0.0.0/33", development: false) }
        _ = try WebhookEgress(allow: " hooks.internal.example, 10.20.0.0/16 ,fd00::/8", development: false)
    }

    /// Delivers one notification to a receiver whose answer's body `body` writes, with these timeouts: the batch's
    /// result and the delivery's recorded error.
    func deliver(answering body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void,
                 requestTimeout: Duration, readTimeout: Duration) async throws -> (WebhookDeliverer.Result, String?) {
        let router = Router()
        router.post("/hook") { _, _ in Response(status: .ok, body: ResponseBody(body)) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let outcome = Outcome()
        try await app.test(.live) { client in
            try await TestServer.run { server in
                let url = "http://127.0.0.1:\(client.port!)/hook"
                let created = try await server.call(.post, "/v1/webhooks", as: .investor, json: #"{"url": "\#(url)", "secret": "whsec-0123456789abcdef"}"#)
                let webhook = try #require(created.int("id"))
                let code = try await server.createEnterpriseProject()
                try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
                try await server.attachEveryMaterial(code, "project-filing")
                try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
                let deliverer = WebhookDeliverer(database: server.database,
                                                 policy: WebhookPolicy(maxAttempts: 3, firstRetryDelay: .zero, requestTimeout: requestTimeout,
                                                                       readTimeout: readTimeout, egress: TestServer.testEgress),
                                                 metrics: server.context.metrics)
                let result = try await deliverer.deliverBatch()
                let record = try await server.call(.get, "/v1/webhooks/\(webhook)/deliveries", as: .investor).list("deliveries")
                await outcome.set(result, record.first?["lastError"] as? String)
            }
        }
        return try #require(await outcome.value)
    }

    actor Outcome {
        var value: (WebhookDeliverer.Result, String?)?
        func set(_ result: WebhookDeliverer.Result, _ error: String?) { value = (result, error) }
    }

    /// A receiver that answers at once and then sends its body a byte every 200 ms, for ever: one deadline covers
    /// the whole delivery, so it is cut off like one that never answers (a hang would end at the test's own limit,
    /// and fail it).
    @Test func aReceiverThatTricklesItsAnswerIsCutOffAtTheDeadline() async throws {
        let (result, error) = try await deliver(answering: { writer in
            while !Task.isCancelled {
                try await writer.write(ByteBuffer(string: "."))
                try await Task.sleep(for: .milliseconds(200))
            }
        }, requestTimeout: .seconds(1), readTimeout: .seconds(30))
        #expect(result == .init(failed: 1))
        #expect(error == "timeout")
    }

    /// A receiver that sends its answer's head and then nothing for 5 s: waited out, it would finish its answer and
    /// the delivery would succeed; the deadline is far off, so only the read timeout can fail it.
    @Test func aSilentReceiverIsCutOffByTheReadTimeout() async throws {
        let (result, error) = try await deliver(answering: { writer in
            try await writer.write(ByteBuffer(string: "."))
            try await Task.sleep(for: .seconds(5))
        }, requestTimeout: .seconds(30), readTimeout: .seconds(1))
        #expect(result == .init(failed: 1))
        #expect(error == "timeout")
    }

    /// A delivery connects to the address its host's check approved, never resolving the name again: here the name
    /// exists only in the fence's own table (DNS knows nothing of `.invalid`), so the delivery arrives only if it
    /// was sent to the checked address.
    @Test func aDeliveryConnectsToTheCheckedAddress() async throws {
        let egress = try WebhookEgress(allow: "127.0.0.0/8", development: true).resolving(["hooks.pinned.invalid": ["127.0.0.1"]])
        let receiver = WebhookReceiver()
        try await receiver.run { url in
            let named = url.replacingOccurrences(of: "127.0.0.1", with: "hooks.pinned.invalid")
            #expect(await egress.destination(named, delivering: true) == .allowed(address: "127.0.0.1"))
            // Pointed inside the network, the same name is refused.
            let rebound = try WebhookEgress(allow: nil, development: true).resolving(["hooks.pinned.invalid": ["93.184.216.34", "10.0.0.7"]])
            if case .allowed = await rebound.destination(named, delivering: true) { Issue.record("a name with an internal address was allowed") }
            try await TestServer.run { server in
                let created = try await server.call(.post, "/v1/webhooks", as: .investor, json: #"{"url": "\#(url)", "secret": "whsec-0123456789abcdef"}"#)
                #expect(created.status == 201, "\(created.text)")
                try await server.sql("UPDATE webhook_subscriptions SET url = '\(named)'")
                let code = try await server.createEnterpriseProject()
                try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
                try await server.attachEveryMaterial(code, "project-filing")
                try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
                let deliverer = WebhookDeliverer(database: server.database,
                                                 policy: WebhookPolicy(maxAttempts: 3, firstRetryDelay: .zero, egress: egress),
                                                 metrics: server.context.metrics)
                #expect(try await deliverer.deliverBatch() == .init(delivered: 1))
                #expect(receiver.received.count == 1)
            }
        }
    }
}
