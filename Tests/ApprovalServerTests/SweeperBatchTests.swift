import ApprovalSeed
import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import PostgresNIO
import Testing

/// The sweeper reads and writes a batch of projects set-based (one statement per kind of row). A batch must
/// decide each project exactly as a batch of that project alone would: the same events, hashes, notifications,
/// documents, item rows and next due instants.
@Suite("Sweeper batches: many projects at once, each as if alone", .timeLimit(.minutes(5)))
struct SweeperBatchTests {
    /// Every row a sweep writes or changes, as text (compared sorted); the user is named, not numbered.
    static let sweptRows = [
        """
        SELECT concat_ws('|', p.code, e.seq, e.kind, e.item_id, e.on_date, e.at, e.actor_id, e.payload, encode(e.hash, 'hex'))
        FROM events e JOIN projects p ON p.id = e.project_id ORDER BY p.code, e.seq
        """,
        """
        SELECT concat_ws('|', p.code, n.event_seq, u.name, n.audience, n.kind, n.item_id, n.title, n.details, n.at)
        FROM notifications n JOIN projects p ON p.id = n.project_id JOIN users u ON u.id = n.user_id
        ORDER BY p.code, n.event_seq, u.name, n.audience
        """,
        """
        SELECT concat_ws('|', p.code, d.item_id, d.department, d.default_approved_on, d.due_on, d.overdue_on)
        FROM formal_documents d JOIN projects p ON p.id = d.project_id ORDER BY p.code, d.item_id
        """,
        """
        SELECT concat_ws('|', p.code, i.item_id, i.state, i.state_since, i.used_days, i.deadline, i.deadline_provisional,
                         i.default_reason, i.escalated_on)
        FROM items i JOIN projects p ON p.id = i.project_id ORDER BY p.code, i.item_id
        """,
        """
        SELECT concat_ws('|', code, version, last_seq, encode(last_hash, 'hex'), current_stage, completed, warning, used_days,
                         next_due_at, item_yellow_raised::text, warning_raised, summary_as_of, forecast_days, critical_path::text,
                         completed_on)
        FROM projects ORDER BY code
        """,
        """
        SELECT concat_ws('|', p.code, g.id, g.follow_up_overdue_on)
        FROM progress_updates g JOIN projects p ON p.id = g.project_id ORDER BY p.code, g.id
        """,
    ]

    static func rows(_ server: TestServer) async throws -> [[String]] {
        var tables: [[String]] = []
        for query in sweptRows {
            tables.append(try await server.database.read { connection in
                try await connection.query(PostgresQuery(unsafeSQL: query), logger: server.database.logger).collect()
                    .map { try $0.decode(String.self) }.sorted()
            })
        }
        return tables
    }

    /// A project whose fire-safety design review (unsafe to approve by silence) is accepted and waiting.
    static func fireSafetyReviewWaiting(_ server: TestServer) async throws {
        let code = try await server.createEnterpriseProject()
        for item in ["project-filing", "land-use-planning-permit", "design-scheme-review", "construction-planning-permit"] {
            for action in ["submit", "accept", "approve"] {
                if action == "accept" { try await server.attachEveryMaterial(code, item) }
                try #require(try await server.act(code, item, #"{"action": "\#(action)"}"#, as: .admin).status == 200)
            }
        }
        for action in ["submit", "accept"] {
            if action == "accept" { try await server.attachEveryMaterial(code, "fire-safety-design-review") }
            try #require(try await server.act(code, "fire-safety-design-review", #"{"action": "\#(action)"}"#, as: .admin).status == 200)
        }
    }

    /// The same seeded province, and two projects of its own whose unsafe reviews will be escalated, in two
    /// databases, swept forty days late: one a project per batch, the other twenty per batch.
    @Test func aBatchOfProjectsWritesWhatEachProjectAloneWould() async throws {
        let options = ProvinceSeeder.Options(projects: 300, seed: 11, backlog: 80,
                                             asOf: CivilDate(instant: testStart, in: TimeZone(identifier: "Asia/Shanghai")!), workers: 1)
        try await TestServer.run { alone in
            try await TestServer.run { together in
                for server in [alone, together] {
                    _ = try await ProvinceSeeder(database: server.database, registry: server.context.registry).run(options)
                    try await Self.fireSafetyReviewWaiting(server)
                    try await Self.fireSafetyReviewWaiting(server)
                    server.clock.advance(by: 40 * 86_400)
                }
                let seeded = try await Self.rows(alone)
                try #require(seeded == (try await Self.rows(together)), "the seeder gave the two databases different provinces")

                let one = try await DeadlineSweeper(context: alone.context, batchSize: 1, lanes: 1).sweepAll()
                let many = DeadlineSweeper(context: together.context, batchSize: 20, lanes: 1)
                let firstBatch = try await many.sweepBatch()
                let rest = try await many.sweepAll()
                #expect(firstBatch.projects == 20, "the first batch is full, so projects are decided together")
                #expect(one.defaultApprovals > 0 && one.escalations > 0 && one.warnings > 0, "\(one)")
                var both = firstBatch
                both += rest
                #expect(both == one)

                let swept = try await Self.rows(alone)
                #expect(swept != seeded)
                for (table, (expected, actual)) in zip(Self.sweptRows, zip(swept, try await Self.rows(together))) {
                    let difference = actual.difference(from: expected)
                    #expect(difference.isEmpty, "\(table.split(separator: "\n")[1]): \(difference.prefix(4))")
                }
                #expect(try await AuditChain.verify(together.database).broken.isEmpty)
            }
        }
    }
}
