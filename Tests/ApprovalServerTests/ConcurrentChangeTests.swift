import Foundation
import Testing

/// Changes of one project arriving at once: each is decided on the project as it stands, and exactly one of two
/// conflicting changes wins, with a clear answer for the other, never a server error.
@Suite("Concurrent changes of one project", .timeLimit(.minutes(5)))
struct ConcurrentChangeTests {
    @Test func twoAgreementsAuthorisedAtOnceGiveOneAgreementAndAConflict() async throws {
        try await TestServer.run { server in
            for _ in 1...3 {
                let code = try await server.createEnterpriseProject()
                let authorise = #"{"action": "authorise", "scope": ["project-filing"]}"#
                async let first = server.call(.post, "/v1/projects/\(code)/agreement", as: .investor, json: authorise)
                async let second = server.call(.post, "/v1/projects/\(code)/agreement", as: .investor, json: authorise)
                let replies = try await [first, second]
                #expect(replies.map(\.status).sorted() == [200, 409], "\(replies.map(\.text))")
                #expect(replies.contains { $0.string("type") == "/problems/agreement-active" })
                #expect(try await server.count("""
                    SELECT count(*)::int FROM agency_agreements a JOIN projects p ON p.id = a.project_id WHERE p.code = '\(code)'
                    """) == 1)
            }
        }
    }

    @Test func twoAgentsAssignedAtOnceGiveOneAgentAndAConflict() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            async let first = server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
            async let second = server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator,
                                           json: #"{"agentId": \#(server.userIDs[.otherAgent]!)}"#)
            let replies = try await [first, second]
            #expect(replies.map(\.status).sorted() == [200, 409], "\(replies.map(\.text))")
            #expect(try await server.count("""
                SELECT count(*)::int FROM agent_assignments a JOIN projects p ON p.id = a.project_id WHERE p.code = '\(code)'
                """) == 1)
        }
    }

    @Test func theSameActionSentTwiceAtOnceWithOneKeyIsDoneOnce() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            let key = ["Idempotency-Key": "submit-\(code)"]
            async let first = server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor, headers: key)
            async let second = server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor, headers: key)
            let replies = try await [first, second]
            #expect(replies.map(\.status) == [200, 200], "\(replies.map(\.text))")
            #expect(replies[0].text == replies[1].text)
            #expect(try await server.count("""
                SELECT count(*)::int FROM events e JOIN projects p ON p.id = e.project_id WHERE p.code = '\(code)' AND e.kind = 'item.submit'
                """) == 1)
        }
    }
}
