import Foundation
import Testing

@Suite("Users and tokens", .timeLimit(.minutes(5)))
struct UserEndpointTests {
    @Test func adminCreatesAUserWhoseTokenWorksUntilRevoked() async throws {
        try await TestServer.run { server in
            let created = try await server.call(.post, "/v1/users", as: .admin, json: """
                {"name": "环评窗口", "role": "reviewer", "region": "330302", "department": "ecology-environment"}
                """)
            #expect(created.status == 201)
            let token = try #require((created.json["token"] as? [String: Any])?["token"] as? String)
            let tokenID = try #require((created.json["token"] as? [String: Any])?["id"] as? Int)
            #expect(token.hasPrefix("apr_"))
            // Only the digest is stored.
            #expect(try await server.count("SELECT count(*)::int FROM tokens WHERE digest = sha256(convert_to('\(token)', 'UTF8'))") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM tokens t WHERE position(convert_to('\(token)', 'UTF8') in t.digest) > 0") == 0)

            var headers = ["Authorization": "Bearer \(token)"]
            let me = try await server.call(.get, "/v1/me", as: nil, headers: headers)
            #expect(me.string("role") == "reviewer")
            #expect(me.string("department") == "ecology-environment")

            let revoked = try await server.call(.delete, "/v1/tokens/\(tokenID)", as: .admin)
            #expect(revoked.status == 204)
            let after = try await server.call(.get, "/v1/me", as: nil, headers: headers)
            #expect(after.status == 401)
            #expect(after.header("WWW-Authenticate") == "Bearer")
            headers["Authorization"] = "Bearer nonsense"
            #expect(try await server.call(.get, "/v1/me", as: nil, headers: headers).status == 401)
        }
    }

    @Test func userFieldsAreCheckedByRole() async throws {
        try await TestServer.run { server in
            let cases: [(String, String)] = [
                (#"{"name": "x", "role": "reviewer", "region": "330302"}"#, "department"),
                (#"{"name": "x", "role": "reviewer", "region": "330302", "department": "ministry-of-magic"}"#, "department"),
                (#"{"name": "x", "role": "investor", "region": "330302"}"#, "organisation"),
                (#"{"name": "x", "role": "leader", "region": "330302", "department": "transport"}"#, "department"),
                // A leader of "300000" would read seven provinces by prefix.
                (#"{"name": "x", "role": "leader", "region": "300000"}"#, "region"),
                (#"{"name": "x", "role": "coordinator", "region": "330003"}"#, "region"),
            ]
            for (body, field) in cases {
                let reply = try await server.call(.post, "/v1/users", as: .admin, json: body)
                #expect(reply.status == 422, "\(body) → \(reply.text)")
                #expect(reply.string("field") == field)
            }
            let badRole = try await server.call(.post, "/v1/users", as: .admin, json: #"{"name": "x", "role": "king", "region": "330302"}"#)
            #expect(badRole.status == 400)
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE id > 0") == TestUser.allCases.count)
        }
    }

    @Test func aRetriedUserCreationDoesNotCreateTwiceNorRevealTheTokenAgain() async throws {
        try await TestServer.run { server in
            let body = #"{"name": "代办员 赵", "role": "agent", "region": "330302"}"#
            let first = try await server.call(.post, "/v1/users", as: .admin, json: body, headers: ["Idempotency-Key": "u-1"])
            let retry = try await server.call(.post, "/v1/users", as: .admin, json: body, headers: ["Idempotency-Key": "u-1"])
            #expect(first.status == 201)
            #expect(retry.status == 409)
            #expect(retry.text.contains("apr_") == false)
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE name = '代办员 赵'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM idempotency_keys WHERE response_body LIKE '%apr_%'") == 0)
        }
    }

    @Test func coordinatorsListTheirRegionsAgentsAndAssignOne() async throws {
        try await TestServer.run { server in
            let agents = try await server.call(.get, "/v1/users", as: .coordinator)
            #expect(Set(agents.list("users").compactMap { $0["name"] as? String }) == ["代办员 王", "代办员 李"])
            #expect(try await server.call(.get, "/v1/users?role=admin", as: .coordinator).status == 403)
            let code = try await server.createEnterpriseProject()
            let agentID = server.userIDs[.agent]!
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .agent).status == 404)
            let assigned = try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(agentID)}"#)
            #expect(assigned.status == 200)
            #expect((assigned.json["agent"] as? [String: Any])?["name"] as? String == "代办员 王")
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .agent).status == 200)
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .otherAgent).status == 404)
            let notAnAgent = try await server.call(.post, "/v1/projects/\(code)/agent/handover", as: .coordinator,
                                                   json: #"{"agentId": \#(server.userIDs[.leader]!), "reason": "r", "handoverNote": "n"}"#)
            #expect(notAnAgent.status == 422)
            #expect(notAnAgent.string("field") == "agentId")
        }
    }
}
