import ApprovalServer
import AsyncHTTPClient
import Foundation
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
                try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
                // The operator's allow-list no longer names loopback: the deliverer checks again and sends nothing.
                let strict = WebhookDeliverer(database: server.database, client: .shared,
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
}
