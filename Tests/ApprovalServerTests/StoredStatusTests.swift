import ApprovalServer
import Foundation
import Testing

/// Status reads answered from the stored document (StoredStatusMiddleware, Migrations/0013) must be the answer
/// the handler would compute: the same bytes, never stale after a change, a new day or an agent's new phone,
/// and never to a caller who may not see the project.
@Suite("Stored status answers", .timeLimit(.minutes(5)))
struct StoredStatusTests {
    @Test func aStoredAnswerIsTheComputedOneAndNeverOutlivesAChange() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject(name: "状态缓存项目")
            #expect(try await server.count("SELECT count(*)::int FROM project_status_documents") == 0)

            // The first read computes and stores; the second is served from the store, byte for byte the same.
            let computed = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(computed.status == 200)
            #expect(try await server.count("SELECT count(*)::int FROM project_status_documents") == 1)
            let stored = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(stored.status == 200)
            #expect(stored.text == computed.text)
            #expect(stored.header("ETag") == computed.header("ETag"))
            #expect(stored.header("Content-Type") == computed.header("Content-Type"))
            #expect(try await answers(server) == ["computed": 1, "stored": 1])

            // Only callers who may see the project get it.
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .otherInvestor).status == 404)
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .otherRegionReviewer).status == 404)
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).status == 200)
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .ecologyReviewer).status == 200)
            #expect(try await answers(server) == ["computed": 1, "stored": 3])

            // A change: the next read shows it, with the new ETag.
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            let afterChange = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(afterChange.item("project-filing")["state"] as? String == "submitted")
            #expect(afterChange.header("ETag") != computed.header("ETag"))

            // The day turns with no change: the figures are the new day's.
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            let today = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            server.clock.advance(by: 86_400)
            let tomorrow = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(tomorrow.string("asOf") != today.string("asOf"))
            #expect(tomorrow.header("ETag") == today.header("ETag"))

            // The agent's phone changes outside the project: the answer shows the new one.
            let agentID = server.userIDs[.agent]!
            #expect(try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(agentID)}"#).status == 200)
            _ = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(try await server.call(.patch, "/v1/agents/\(agentID)", as: .coordinator, json: #"{"phone": "13900000000"}"#).status == 200)
            let newPhone = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect((newPhone.json["agent"] as? [String: Any])?["phone"] as? String == "13900000000")

            // The answer is fetched with the caller's token, but only a live token gets it.
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: nil, headers: ["Authorization": "Bearer nonsense"]).status == 401)
            try await server.sql("UPDATE tokens SET revoked_at = now() WHERE user_id = \(server.userIDs[.investor]!)")
            let revoked = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            #expect(revoked.status == 401)
            #expect(revoked.header("Content-Type") == "application/problem+json")
            try await server.sql("UPDATE users SET active = false WHERE id = \(server.userIDs[.reviewer]!)")
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).status == 401)
            #expect(try await server.call(.get, "/v1/projects/\(code)", as: .ecologyReviewer).status == 200)
        }
    }

    /// The status reads so far, by source, from the server's metrics.
    func answers(_ server: TestServer) async throws -> [String: Int] {
        let metrics = try await server.call(.get, "/metrics", as: nil).text
        var counts: [String: Int] = [:]
        for line in metrics.split(separator: "\n") where line.hasPrefix("status_answers_total{") {
            counts[line.contains("source=\"stored\"") ? "stored" : "computed"] = Int(Double(line.split(separator: " ").last!)!)
        }
        return counts
    }
}
