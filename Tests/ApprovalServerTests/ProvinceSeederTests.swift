import ApprovalSeed
import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import HTTPTypes
import NIOCore
import PostgresNIO
import Testing

/// `approvals seed`: the generated history must be data the server itself could have written — chains that
/// verify, item rows that match a replay of the events, and a backlog the sweeper drains exactly once.
@Suite("Province seeder", .timeLimit(.minutes(5)))
struct ProvinceSeederTests {
    /// An empty province loads without its indexes (built once at the end); every index and key must be back
    /// afterwards, and a second run into the province, no longer empty, keeps them while it loads.
    @Test func indexesDeferredForAnEmptyProvinceAreAllBuiltAgain() async throws {
        try await TestServer.run { server in
            let today = server.context.clock.today(in: TimeZone(identifier: "Asia/Shanghai")!)
            let seeder = ProvinceSeeder(database: server.database, registry: server.context.registry)
            let before = try await schemaShape(server)
            #expect(try await server.count("SELECT count(*)::int FROM projects") == 0)
            _ = try await seeder.run(.init(projects: 30, seed: 3, asOf: today))
            #expect(try await schemaShape(server) == before)
            #expect(try await server.count("SELECT count(*)::int FROM deferred_indexes") == 0)

            let summary = try await seeder.run(.init(projects: 10, seed: 4, asOf: today))
            #expect(summary.projects == 10 && summary.refused == 0)
            #expect(try await schemaShape(server) == before)
            #expect(try await server.count("SELECT count(*)::int FROM deferred_indexes") == 0)
            let audit = try await AuditChain.verify(server.database)
            #expect(audit.projects == 40 && audit.broken.isEmpty)
        }
    }

    /// Until the keys an interrupted seed dropped are built again, nothing may write: readiness fails, and the
    /// commands that do not migrate refuse to start, naming what is missing and the command that builds it.
    @Test func anInterruptedSeedsMissingKeysStopOtherCommandsUntilMigrateBuildsThem() async throws {
        try await TestServer.run { server in
            let before = try await schemaShape(server)
            try await leaveTwoKeysDeferred(server)

            let notReady = try await server.call(.get, "/readyz", as: nil)
            #expect(notReady.status == 503)
            #expect(notReady.string("indexes") == "2 deferred by `approvals seed`: run `approvals migrate`")
            let refusal = await #expect(throws: MigrationError.self) {
                try await DatabaseSession.prepareSchema(server.database, migrationsFolder: server.context.migrationsFolder, apply: false)
            }
            let message = refusal.map(String.init(describing:)) ?? ""
            #expect(message.contains("lacks 2 indexes and keys") && message.contains("events_pkey") && message.contains("items_state"), "\(message)")
            #expect(message.hasSuffix("run `approvals migrate` to build them"), "\(message)")

            try await DatabaseSession.prepareSchema(server.database, migrationsFolder: server.context.migrationsFolder, apply: true)
            #expect(try await schemaShape(server) == before)
            try await DatabaseSession.prepareSchema(server.database, migrationsFolder: server.context.migrationsFolder, apply: false)
            let ready = try await server.call(.get, "/readyz", as: nil)
            #expect(ready.status == 200 && ready.string("indexes") == "complete")
        }
    }


    /// The codes of projects whose events, replayed by the engine, do not give the item states stored in their rows.
    private func replayMismatches(_ server: TestServer) async throws -> [String] {
        try await server.database.read { connection in
            var stored: [Int64: [String: String]] = [:]
            for try await (project, item, state) in try await connection.query("SELECT project_id, item_id, state FROM items", logger: server.database.logger)
                .decode((Int64, String, String).self) {
                stored[project, default: [:]][item] = state
            }
            var mismatches: [String] = []
            let records = try await connection.query("SELECT code FROM projects", logger: server.database.logger).collect()
            for row in records {
                let record = try await ProjectRepository.find(code: try row.decode(String.self), on: connection, logger: server.database.logger)!
                let project = try await ProjectRepository.load(record, registry: server.context.registry, on: connection, logger: server.database.logger)
                let replayed = Dictionary(uniqueKeysWithValues: project.items.map { ($0.id, $0.state.rawValue) })
                if replayed != stored[record.id] { mismatches.append(record.code) }
            }
            return mismatches
        }
    }

    /// Every index and constraint definition of the schema, as one text.
    private func schemaShape(_ server: TestServer) async throws -> String {
        let schema = """
            SELECT string_agg(indexdef, E'\n' ORDER BY indexdef) || (SELECT string_agg(conname || pg_get_constraintdef(oid), ',' ORDER BY conname)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace) FROM pg_indexes WHERE schemaname = 'public'
            """
        return try await server.database.read { try await $0.query(PostgresQuery(unsafeSQL: schema), logger: server.database.logger).collect().first!.decode(String.self) }
    }

    /// What a seed interrupted after deferring leaves: two keys dropped, and their records.
    private func leaveTwoKeysDeferred(_ server: TestServer) async throws {
        try await server.database.transaction { connection in
            for statement in [
                "INSERT INTO deferred_indexes (name, on_table, definition) SELECT 'items_state', 'items', pg_get_indexdef('items_state'::regclass)",
                "DROP INDEX items_state",
                "INSERT INTO deferred_indexes (name, on_table, definition) VALUES ('events_pkey', 'events', 'ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (project_id, seq)')",
                "ALTER TABLE events DROP CONSTRAINT events_pkey",
            ] { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: server.database.logger) }
        }
    }

    /// A province registers many projects a day, and the generator plays each day's histories once for several of
    /// them: the shared history must still be each project's own — its events replay to its rows, its chain
    /// verifies, and every actor is one of its people (its investor, its agent, its city's coordinator, the window
    /// of the item's department in its city, or the deadline engine). Ids grow with the day projects started.
    @Test func projectsSharingADaysHistoryKeepTheirOwnPeople() async throws {
        try await TestServer.run { server in
            let today = server.context.clock.today(in: TimeZone(identifier: "Asia/Shanghai")!)
            let seeder = ProvinceSeeder(database: server.database, registry: server.context.registry)
            let summary = try await seeder.run(.init(projects: 400, seed: 11, asOf: today, spanDays: 8))
            #expect(summary.projects == 400 && summary.refused == 0)
            let audit = try await AuditChain.verify(server.database)
            #expect(audit.broken.isEmpty && audit.events == summary.events, "\(audit.broken.prefix(3))")
            let mismatches = try await replayMismatches(server)
            #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")

            // Histories were shared: otherwise the rest of this test would not be about sharing.
            #expect(try await server.count("""
                SELECT count(*)::int FROM (SELECT history FROM (
                    SELECT string_agg(kind || coalesce(item_id, '') || on_date, ',' ORDER BY seq) AS history
                    FROM events WHERE kind LIKE 'item.%' GROUP BY project_id) h GROUP BY history HAVING count(*) > 1) shared
                """) > 0)
            #expect(try await server.count("""
                SELECT count(*)::int FROM events e JOIN projects p ON p.id = e.project_id
                LEFT JOIN users u ON u.id = e.actor_id
                LEFT JOIN items i ON i.project_id = e.project_id AND i.item_id = e.item_id
                WHERE NOT (e.actor_id = 0
                    OR (u.role = 'investor' AND u.organisation = p.investor_org)
                    OR (u.role = 'agent' AND u.id = p.agent_id)
                    OR (u.role = 'coordinator' AND u.region = substr(p.region, 1, 4) || '00')
                    OR (u.role = 'reviewer' AND u.department = i.department AND u.region = substr(p.region, 1, 4) || '00'))
                   OR u.id IS NULL
                """) == 0)
            // Submissions on the investor's behalf name this project's investor and agent.
            #expect(try await server.count("""
                SELECT count(*)::int FROM events e JOIN projects p ON p.id = e.project_id JOIN users a ON a.id = p.agent_id
                WHERE e.payload ? 'onBehalfOf' AND (e.payload->>'onBehalfOf' <> p.investor_org OR e.payload->>'agentName' <> a.name)
                """) == 0)
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE payload ? 'onBehalfOf'") > 0)
            #expect(try await server.count("""
                SELECT count(*)::int FROM projects a JOIN projects b ON b.id = a.id + 1 WHERE b.started_on < a.started_on
                """) == 0)
        }
    }

    @Test func seededProjectsReplayToTheirRowsVerifyAndTheBacklogDrainsOnce() async throws {
        try await TestServer.run { server in
            let today = server.context.clock.today(in: TimeZone(identifier: "Asia/Shanghai")!)
            let seeder = ProvinceSeeder(database: server.database, registry: server.context.registry)
            let summary = try await seeder.run(.init(projects: 240, seed: 7, backlog: 20, asOf: today))
            #expect(summary.projects == 240)
            #expect(summary.refused == 0)
            #expect(summary.defaultApprovals > 0 && summary.escalations > 0)

            // Every chain holds, and the count of events is what the generator said it wrote.
            let audit = try await AuditChain.verify(server.database)
            #expect(audit.broken.isEmpty, "\(audit.broken.prefix(3))")
            #expect(audit.events == summary.events)

            // Replaying each project's events gives exactly the item states stored in its rows.
            let mismatches = try await replayMismatches(server)
            #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")

            // The data covers what reports and the sweeper meet in a province.
            let states = Set(try await server.database.read { connection in
                try await connection.query("SELECT DISTINCT state FROM items", logger: server.database.logger).collect().map { try $0.decode(String.self) }
            })
            #expect(states.isSuperset(of: ["approved", "default_approved", "accepted", "suspended", "not_applicable", "exempted", "blocked"]))
            #expect(try await server.count("SELECT count(DISTINCT substr(region, 1, 4))::int FROM projects") == 11)
            #expect(try await server.count("SELECT count(*)::int FROM progress_updates") > 0)
            #expect(try await server.count("SELECT count(*)::int FROM agency_agreements") > 0)

            // Every item a department took up carries material: each organisation's library shares two stored contents.
            #expect(try await server.count("""
                SELECT count(*)::int FROM items i
                WHERE i.state IN ('accepted', 'suspended', 'approved', 'default_approved', 'rejected')
                  AND NOT EXISTS (SELECT 1 FROM item_materials m WHERE m.project_id = i.project_id AND m.item_id = i.item_id)
                """) == 0)
            #expect(try await server.count("SELECT count(*)::int FROM item_materials") > 1_000)
            #expect(try await server.count("SELECT count(DISTINCT organisation)::int FROM materials") == 60)
            #expect(try await server.count("SELECT count(DISTINCT content_id)::int FROM material_versions") == 2)

            // A seeded project reads through the API like any other.
            let code = try await server.database.read { connection in
                try await connection.query("SELECT code FROM projects WHERE NOT completed ORDER BY id LIMIT 1", logger: server.database.logger)
                    .collect().first!.decode(String.self)
            }
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .leader)
            #expect(status.status == 200, "\(status.text)")
            let carried = (status.list("items").flatMap { $0["materials"] as? [[String: Any]] ?? [] }).filter { $0["attached"] != nil }
            #expect(!carried.isEmpty && carried.allSatisfy { ($0["attached"] as? [String: Any])?["sha256"] as? String != nil })

            // The backlog (20 projects whose deadlines passed with no sweeper) is drained once, and only it.
            let sweeper = DeadlineSweeper(context: server.context)
            let first = try await sweeper.sweepAll()
            #expect(first.projects == 20)
            #expect(first.defaultApprovals + first.escalations >= 20)
            #expect(try await sweeper.sweepAll().projects == 0)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)

            // The province's administrator and leader got tokens of their own, random and nowhere public, which sign
            // them in; a later run over the same province issues none (they were shown once).
            #expect(Set(summary.tokens.keys) == [.admin, .leader])
            for (role, token) in summary.tokens {
                #expect(token.count >= 32 && !["demo-", "seed-", "test-"].contains { token.hasPrefix($0) }, "\(token)")
                var headers = HTTPFields()
                headers[.authorization] = "Bearer \(token)"
                let me = try await server.client.executeRequest(uri: "/v1/me", method: .get, headers: headers, body: nil)
                let body = try JSONSerialization.jsonObject(with: Data(String(buffer: me.body).utf8)) as? [String: Any]
                #expect(me.status == .ok && body?["role"] as? String == role.rawValue, "\(String(buffer: me.body))")
            }
            #expect(summary.tokens[.admin] != summary.tokens[.leader])
            #expect(try await seeder.run(.init(projects: 1, seed: 8, backlog: 0, asOf: today)).tokens.isEmpty)
        }
    }
}
