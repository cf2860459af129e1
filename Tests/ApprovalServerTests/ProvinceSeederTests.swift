import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import PostgresNIO
import Testing

/// `approvals seed`: the generated history must be data the server itself could have written — chains that
/// verify, item rows that match a replay of the events, and a backlog the sweeper drains exactly once.
@Suite("Province seeder")
struct ProvinceSeederTests {
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
            let mismatches = try await server.database.read { connection in
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
            #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")

            // The data covers what reports and the sweeper meet in a province.
            let states = Set(try await server.database.read { connection in
                try await connection.query("SELECT DISTINCT state FROM items", logger: server.database.logger).collect().map { try $0.decode(String.self) }
            })
            #expect(states.isSuperset(of: ["approved", "default_approved", "accepted", "suspended", "not_applicable", "exempted", "blocked"]))
            #expect(try await server.count("SELECT count(DISTINCT substr(region, 1, 4))::int FROM projects") == 11)
            #expect(try await server.count("SELECT count(*)::int FROM progress_updates") > 0)
            #expect(try await server.count("SELECT count(*)::int FROM agency_agreements") > 0)

            // A seeded project reads through the API like any other.
            let code = try await server.database.read { connection in
                try await connection.query("SELECT code FROM projects WHERE NOT completed ORDER BY id LIMIT 1", logger: server.database.logger)
                    .collect().first!.decode(String.self)
            }
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .leader)
            #expect(status.status == 200, "\(status.text)")

            // The backlog (20 projects whose deadlines passed with no sweeper) is drained once, and only it.
            let sweeper = DeadlineSweeper(context: server.context)
            let first = try await sweeper.sweepAll()
            #expect(first.projects == 20)
            #expect(first.defaultApprovals + first.escalations >= 20)
            #expect(try await sweeper.sweepAll().projects == 0)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
        }
    }
}
