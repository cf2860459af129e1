import ApprovalStore
import Foundation
import Testing

@Suite("Audit chain: every change leaves a trace that cannot be silently altered", .timeLimit(.minutes(5)))
struct AuditChainTests {
    /// Two projects with a few events each.
    static func seed(_ server: TestServer) async throws -> [String] {
        var codes: [String] = []
        for _ in 0..<2 {
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer)
            codes.append(code)
        }
        return codes
    }

    /// What only the table's owner can do: switch the append-only trigger off, edit, and switch it back on.
    static func asTableOwner(_ server: TestServer, _ edit: String) async throws {
        try await server.sql("ALTER TABLE events DISABLE TRIGGER events_append_only")
        try await server.sql(edit)
        try await server.sql("ALTER TABLE events ENABLE TRIGGER events_append_only")
    }

    @Test func eventsAreAppendOnly() async throws {
        try await TestServer.run { server in
            _ = try await Self.seed(server)
            for edit in ["UPDATE events SET payload = '{}' WHERE seq = 2", "DELETE FROM events WHERE seq = 4", "TRUNCATE events CASCADE"] {
                await #expect(throws: (any Error).self, "\(edit)") { try await server.sql(edit) }
            }
            #expect(try await server.count("SELECT count(*)::int FROM events") == 8)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
        }
    }

    @Test func untouchedChainsVerify() async throws {
        try await TestServer.run { server in
            _ = try await Self.seed(server)
            let report = try await AuditChain.verify(server.database)
            #expect(report.projects == 2)
            #expect(report.events == 8)
            #expect(report.broken.isEmpty)
        }
    }

    @Test func anEditedPayloadIsFoundAtItsEvent() async throws {
        try await TestServer.run { server in
            let codes = try await Self.seed(server)
            try await Self.asTableOwner(server, """
                UPDATE events SET payload = jsonb_set(payload, '{action}', '"reject"')
                WHERE seq = 4 AND project_id = (SELECT id FROM projects WHERE code = '\(codes[1])')
                """)
            let report = try await AuditChain.verify(server.database)
            #expect(report.broken.map(\.projectCode) == [codes[1]])
            #expect(report.broken.first?.seq == 4)
        }
    }

    @Test(arguments: [
        "UPDATE events SET at = at + interval '1 second' WHERE seq = 2",
        "UPDATE events SET on_date = on_date - 1 WHERE seq = 2",
        "UPDATE events SET actor_id = actor_id + 1 WHERE seq = 2",
        "UPDATE events SET item_id = 'energy-review' WHERE seq = 2",
        "UPDATE events SET kind = 'item.withdraw' WHERE seq = 2",
    ])
    func anyEditedColumnIsFound(_ edit: String) async throws {
        try await TestServer.run { server in
            _ = try await Self.seed(server)
            try await Self.asTableOwner(server, edit)
            let report = try await AuditChain.verify(server.database)
            #expect(report.broken.count == 2)
            #expect(report.broken.allSatisfy { $0.seq == 2 })
        }
    }

    @Test func deletedEventsAreFound() async throws {
        try await TestServer.run { server in
            let codes = try await Self.seed(server)
            try await Self.asTableOwner(server, "DELETE FROM events WHERE seq = 4 AND project_id = (SELECT id FROM projects WHERE code = '\(codes[0])')")
            try await Self.asTableOwner(server, "DELETE FROM events WHERE seq = 2 AND project_id = (SELECT id FROM projects WHERE code = '\(codes[1])')")
            let report = try await AuditChain.verify(server.database)
            #expect(report.broken.count == 2)
            #expect(report.broken.first { $0.projectCode == codes[0] }?.problem.contains("events removed") == true)
            #expect(report.broken.first { $0.projectCode == codes[1] }?.seq == 2)
        }
    }

    @Test func aRefusedActionWritesNoEvent() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            #expect(try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer).status == 409)
            #expect(try await server.count("SELECT count(*)::int FROM events") == 1)
            #expect(try await server.count("SELECT version FROM projects") == 1)
        }
    }
}
