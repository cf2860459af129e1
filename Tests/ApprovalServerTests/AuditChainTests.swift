import ApprovalCore
import ApprovalStore
import Crypto
import Foundation
import PostgresNIO
import Testing

@Suite("Audit chain: every change leaves a trace that cannot be silently altered", .timeLimit(.minutes(5)))
struct AuditChainTests {
    /// Two projects with a few events each: created, submitted, the filing's materials attached, accepted, approved.
    static func seed(_ server: TestServer) async throws -> [String] {
        var codes: [String] = []
        for _ in 0..<2 {
            let code = try await server.createEnterpriseProject()
            try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, "project-filing")
            try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
            try await server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer)
            codes.append(code)
        }
        return codes
    }

    /// The filing requires five materials.
    static let eventsPerProject = 9

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
            #expect(try await server.count("SELECT count(*)::int FROM events") == Self.eventsPerProject * 2)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
        }
    }

    @Test func untouchedChainsVerify() async throws {
        try await TestServer.run { server in
            _ = try await Self.seed(server)
            let report = try await AuditChain.verify(server.database)
            #expect(report.projects == 2)
            #expect(report.events == Self.eventsPerProject * 2)
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
            try await Self.asTableOwner(server, "DELETE FROM events WHERE seq = \(Self.eventsPerProject) AND project_id = (SELECT id FROM projects WHERE code = '\(codes[0])')")
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

    // MARK: Checkpoints outside the database, and rows checked against their events

    /// The project's last event rewritten with a valid hash, and the project's head moved to it: the chain holds,
    /// and only a checkpoint taken before shows that it changed.
    static func rewriteLastEventWithItsHead(_ server: TestServer, code: String) async throws {
        let database = server.database
        let (projectID, seq, previous, at, onDate, kind, itemID, actorID) = try await database.read { connection in
            try await connection.query("""
                SELECT e.project_id, e.seq, e.prev_hash, e.at, e.on_date::text, e.kind, e.item_id, e.actor_id
                FROM events e JOIN projects p ON p.id = e.project_id AND e.seq = p.last_seq WHERE p.code = \(code)
                """, logger: database.logger).collect().first!.decode((Int64, Int, Data, Date, String, String, String?, Int64).self)
        }
        let payload = JSONValue.object(["action": .string("reject"), "reason": .string("rewritten")])
        let hash = AuditChain.hash(previous: previous, canonical: AuditChain.canonicalEncoding(
            projectID: projectID, seq: seq, atMilliseconds: AuditChain.milliseconds(at), onDate: onDate, kind: kind, itemID: itemID,
            actorID: actorID, payload: payload))
        try await database.read { connection in
            try await connection.query("ALTER TABLE events DISABLE TRIGGER events_append_only", logger: database.logger)
            try await connection.query("UPDATE events SET payload = \(payload), hash = \(hash) WHERE project_id = \(projectID) AND seq = \(seq)",
                                       logger: database.logger)
            try await connection.query("ALTER TABLE events ENABLE TRIGGER events_append_only", logger: database.logger)
            try await connection.query("UPDATE projects SET last_hash = \(hash) WHERE id = \(projectID)", logger: database.logger)
        }
    }

    static func checkpointLog(_ server: TestServer, key: Curve25519.Signing.PrivateKey) async throws -> String {
        let line = try AuditCheckpoint.makeLine(current: try await AuditCheckpoint.currentHeads(server.database), previous: [:], at: Date(), key: key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
    }

    @Test func aCheckpointFindsATailRewrittenWithItsHeadAndADeletedProject() async throws {
        try await TestServer.run { server in
            let codes = try await Self.seed(server)
            let key = Curve25519.Signing.PrivateKey()
            let log = try await Self.checkpointLog(server, key: key)
            let (heads, recordedAt, lines) = try AuditCheckpoint.replayLog(log, publicKey: key.publicKey)
            #expect(heads.count == 2 && lines == 1)
            #expect(try await AuditCheckpoint.differences(from: heads, recordedAt: recordedAt, in: server.database).isEmpty)

            try await Self.rewriteLastEventWithItsHead(server, code: codes[1])
            // A project deleted with everything that names it, as a superuser can (triggers and keys off).
            let deleted = try await server.count("SELECT id::int FROM projects WHERE code = '\(codes[0])'")
            try await server.sql("""
                DO $$ DECLARE t text; BEGIN
                    PERFORM set_config('session_replication_role', 'replica', true);
                    FOR t IN SELECT table_name FROM information_schema.columns
                             WHERE table_schema = 'public' AND column_name = 'project_id' AND table_name <> 'projects' LOOP
                        EXECUTE format('DELETE FROM %I WHERE project_id = %s', t, \(deleted));
                    END LOOP;
                    DELETE FROM projects WHERE id = \(deleted);
                END $$
                """)
            // The chains alone cannot tell: one was re-hashed, the other is gone with its head.
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
            let found = try await AuditCheckpoint.differences(from: heads, recordedAt: recordedAt, in: server.database)
            #expect(found.map(\.projectCode).sorted() == [codes[1], "project id \(deleted)"].sorted(), "\(found)")
            #expect(found.first { $0.projectCode == codes[1] }?.problem.contains("rewritten") == true)
            #expect(found.first { $0.projectCode == "project id \(deleted)" }?.problem.contains("deleted") == true)
            // Nor can a new checkpoint be signed over the loss.
            let now = try await AuditCheckpoint.currentHeads(server.database)
            #expect(throws: AuditCheckpoint.CheckpointError.self) { try AuditCheckpoint.makeLine(current: now, previous: heads, at: Date(), key: key) }
        }
    }

    @Test func aCheckpointLogCannotBeAlteredWithoutTheKey() async throws {
        try await TestServer.run { server in
            _ = try await Self.seed(server)
            let key = Curve25519.Signing.PrivateKey()
            let first = try await Self.checkpointLog(server, key: key)
            _ = try await server.createEnterpriseProject()
            let (heads, _, _) = try AuditCheckpoint.replayLog(first, publicKey: key.publicKey)
            let line = try AuditCheckpoint.makeLine(current: try await AuditCheckpoint.currentHeads(server.database), previous: heads, at: Date(), key: key)
            let second = String(decoding: try JSONEncoder().encode(line), as: UTF8.self) + "\n"
            #expect(try AuditCheckpoint.replayLog(first + second, publicKey: key.publicKey).heads.count == 3)
            // Only the changed head is written again.
            #expect(line.heads.count < first.count / 2)
            // Another key, an edited root, a dropped first line: each refused.
            #expect(throws: AuditCheckpoint.CheckpointError.self) { try AuditCheckpoint.replayLog(first, publicKey: Curve25519.Signing.PrivateKey().publicKey) }
            let edited = first.replacingOccurrences(of: #""projects":2"#, with: #""projects":3"#)
            #expect(edited != first)
            #expect(throws: AuditCheckpoint.CheckpointError.self) { try AuditCheckpoint.replayLog(edited, publicKey: key.publicKey) }
            #expect(throws: AuditCheckpoint.CheckpointError.self) { try AuditCheckpoint.replayLog(second, publicKey: key.publicKey) }
        }
    }

    @Test(arguments: [
        ("UPDATE projects SET attributes = jsonb_set(attributes, '{annual-energy-tce}', '50')", "attributes"),
        ("UPDATE projects SET region = '330303'", "region"),
        ("UPDATE projects SET investor_org = 'someone else'", "investor_org"),
        ("UPDATE items SET state = 'approved' WHERE item_id = 'energy-review'", "item energy-review"),
    ])
    func anEditedRowIsFoundByReplayingItsEvents(_ edit: String, _ named: String) async throws {
        try await TestServer.run { server in
            let codes = try await Self.seed(server)
            #expect(try await AuditReplay.verify(server.database, registry: server.context.registry).isEmpty)
            try await server.sql(edit + (edit.contains("WHERE") ? " AND " : " WHERE ") + "project_id = (SELECT id FROM projects WHERE code = '\(codes[0])')"
                .replacingOccurrences(of: "project_id =", with: edit.hasPrefix("UPDATE projects") ? "id =" : "project_id ="))
            let found = try await AuditReplay.verify(server.database, registry: server.context.registry)
            #expect(found.map(\.projectCode) == [codes[0]], "\(found)")
            #expect(found.first?.problem.contains(named) == true, "\(found)")
        }
    }
}
