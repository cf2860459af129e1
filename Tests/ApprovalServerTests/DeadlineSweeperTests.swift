import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import Testing

@Suite("Deadline sweeper: default approval and escalation, exactly once", .timeLimit(.minutes(5)))
struct DeadlineSweeperTests {
    static let day: TimeInterval = 86_400

    func sweeper(_ server: TestServer, batchSize: Int = 100) -> DeadlineSweeper {
        DeadlineSweeper(context: server.context, batchSize: batchSize)
    }

    /// Submits and accepts the project filing (development-reform, limit 1): accepted Monday 03-02, so its
    /// deadline is the end of Tuesday 03-03.
    func acceptedFiling(_ server: TestServer) async throws -> String {
        let code = try await server.createEnterpriseProject()
        try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
        try await server.attachEveryMaterial(code, "project-filing")
        try await server.act(code, "project-filing", #"{"action": "accept"}"#, as: .reviewer)
        return code
    }

    @Test func aTimedOutItemIsDefaultApprovedOnceDatedTheDayItsLimitPassed() async throws {
        try await TestServer.run { server in
            let code = try await acceptedFiling(server)
            server.clock.advance(by: Self.day)  // Tuesday 09:00: the deadline (end of Tuesday) has not passed
            // …but the filing is in its last day: yellow, raised once.
            #expect(try await sweeper(server).sweepAll() == .init(projects: 1, warnings: 1))
            #expect(try await sweeper(server).sweepAll() == .init())
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'warning.item' AND item_id = 'project-filing'") == 1)
            server.clock.advance(by: Self.day * 3)  // Friday
            let result = try await sweeper(server).sweepAll()
            // Swept only on Friday: the formal document due Thursday is overdue at once, too.
            #expect(result == .init(projects: 1, defaultApprovals: 1, escalations: 0, warnings: 1))
            #expect(try await sweeper(server).sweepAll() == .init())

            let status = try await server.call(.get, "/v1/projects/\(code)", as: .investor)
            let filing = status.item("project-filing")
            #expect(filing["state"] as? String == "default_approved")
            #expect(filing["defaultApprovalReason"] as? String == "timeout")
            #expect(filing["stateSince"] as? String == "2026-03-04")
            // Its dependent opened as if the approval had been given.
            #expect(status.item("land-use-planning-permit")["state"] as? String == "ready")
            let events = try await server.call(.get, "/v1/projects/\(code)/timeline", as: .investor).list("events")
            let last = try #require(events.first { $0["kind"] as? String == "item.default_approve" })
            #expect(last["on"] as? String == "2026-03-04")
            #expect((last["actor"] as? [String: Any])?["id"] as? Int == 0)
            #expect(try await AuditChain.verify(server.database).broken.isEmpty)
            let metrics = try await server.call(.get, "/metrics", as: nil).text
            #expect(metrics.contains(#"default_approvals_total{reason="timeout",department="development-reform"} 1"#), "\(metrics)")
            #expect(metrics.contains("sweeper_lag_seconds 0"))
        }
    }

    @Test func aDefaultApprovalLeavesAFormalDocumentDueThatCanGoOverdue() async throws {
        try await TestServer.run { server in
            let code = try await acceptedFiling(server)
            server.clock.advance(by: Self.day * 2)  // Wednesday 03-04: default approved
            #expect(try await sweeper(server).sweepAll().defaultApprovals == 1)
            var filing = try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")
            let document = try #require(filing["formalDocument"] as? [String: Any])
            #expect(document["dueOn"] as? String == "2026-03-05")  // 1 working day after 03-04
            #expect(document["overdueOn"] == nil)

            server.clock.advance(by: Self.day * 2)  // Friday 03-06: not issued by Thursday
            #expect(try await sweeper(server).sweepAll().warnings >= 1)
            #expect(try await sweeper(server).sweepAll() == .init())
            filing = try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")
            #expect((filing["formalDocument"] as? [String: Any])?["overdueOn"] as? String == "2026-03-06")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'formal_document.overdue'") == 1)

            let wrongDepartment = try await server.act(code, "project-filing", #"{"action": "recordFormalDocument", "documentNumber": "x"}"#,
                                                       as: .ecologyReviewer)
            #expect(wrongDepartment.status == 403)
            let issued = try await server.act(code, "project-filing", #"{"action": "recordFormalDocument", "documentNumber": "鹿发改备〔2026〕12号"}"#,
                                              as: .reviewer)
            #expect(issued.status == 200, "\(issued.text)")
            let recorded = issued.item("project-filing")["formalDocument"] as? [String: Any]
            #expect(recorded?["issuedOn"] as? String == "2026-03-06")
            #expect(recorded?["documentNumber"] as? String == "鹿发改备〔2026〕12号")
            let twice = try await server.act(code, "project-filing", #"{"action": "recordFormalDocument", "documentNumber": "again"}"#, as: .reviewer)
            #expect(twice.status == 409)
            // Only a default approval leaves a document owed.
            let none = try await server.act(code, "energy-review", #"{"action": "recordFormalDocument", "documentNumber": "x"}"#, as: .reviewer)
            #expect(none.status == 409)
        }
    }

    @Test func adminsMoveTheVirtualClockAndTheSweeperRunsEachMidnight() async throws {
        try await TestServer.run(virtualClockControl: true) { server in
            let code = try await acceptedFiling(server)
            #expect(try await server.call(.post, "/v1/admin/clock", as: .coordinator, json: #"{"advanceDays": 1}"#).status == 403)
            let moved = try await server.call(.post, "/v1/admin/clock", as: .admin, json: #"{"advanceDays": 3}"#)
            #expect(moved.status == 200, "\(moved.text)")
            #expect(moved.string("today") == "2026-03-05")
            let swept = try #require(moved.json["swept"] as? [String: Any])
            #expect(swept["defaultApprovals"] as? Int == 1)
            // Midnight by midnight: the yellow warning on Tuesday came before the default approval on Wednesday.
            let kinds = try await server.call(.get, "/v1/projects/\(code)/timeline", as: .admin).list("events").compactMap { $0["kind"] as? String }
            #expect(kinds.suffix(2) == ["warning.item", "item.default_approve"])
            let backwards = try await server.call(.post, "/v1/admin/clock", as: .admin, json: #"{"set": "2026-01-01T00:00:00Z"}"#)
            #expect(backwards.status == 422)
            #expect(try await server.call(.post, "/v1/admin/clock", as: .admin, json: #"{"advanceDays": 1, "advanceHours": 2}"#).status == 422)
        }
    }

    @Test func theClockCannotBeMovedUnlessTheServerAllowsIt() async throws {
        try await TestServer.run { server in
            let refused = try await server.call(.post, "/v1/admin/clock", as: .admin, json: #"{"advanceDays": 1}"#)
            #expect(refused.status == 404)
            #expect(refused.string("type") == "/problems/virtual-clock-off")
            #expect(try await server.call(.get, "/v1/admin/clock", as: .admin).json["virtual"] as? Bool == false)
        }
    }

    @Test func aNewerCalendarRecomputesProvisionalDeadlines() async throws {
        // Monday 2026-12-21 09:00 in Shanghai: a 15-day item runs past the calendar's last year.
        try await TestServer.run(start: Date(timeIntervalSince1970: 1_797_814_800)) { server in
            let code = try await server.createEnterpriseProject()
            for action in ["submit", "accept", "approve"] {
                    if action == "accept" { try await server.attachEveryMaterial(code, "project-filing") }
                    try await server.act(code, "project-filing", #"{"action": "\#(action)"}"#, as: .admin) }
            try await server.act(code, "eia-approval", #"{"action": "submit"}"#, as: .admin)
            try await server.attachEveryMaterial(code, "eia-approval")
            let accepted = try await server.act(code, "eia-approval", #"{"action": "accept"}"#, as: .admin)
            // Weekends only past 2026: 2027-01-01 counts as a working day.
            #expect(accepted.item("eia-approval")["deadline"] as? String == "2027-01-11")
            #expect(accepted.item("eia-approval")["deadlineProvisional"] as? Bool == true)

            let sources = shippedCatalog.sources.map { source in
                source.path.hasSuffix("cn-mainland.yaml") ? DefinitionSource(path: source.path, text: source.text + """
                      - year: 2027
                        source: test notice
                        holidays:
                          - name: 元旦
                            from: 2027-01-01

                    """) : source
            }
            let registry = try await WorkflowRegistry.register(try DefinitionCatalog.load(sources), in: server.database)
            let context = ServerContext(database: server.database, registry: registry, clock: server.clock,
                                        migrationsFolder: projectRoot.appending(path: "Migrations"))
            let revisited = try await server.database.transaction {
                try await DeadlineQueue.revisitProvisionalDeadlines(now: server.clock.now(), on: $0, logger: server.database.logger)
            }
            #expect(revisited == 1)
            #expect(try await DeadlineSweeper(context: context).sweepAll().projects == 1)
            #expect(try await server.count("""
                SELECT count(*)::int FROM items WHERE item_id = 'eia-approval' AND deadline = '2027-01-12' AND NOT deadline_provisional
                """) == 1)
        }
    }

    @Test func anUnsafeItemIsEscalatedOnceAndStaysOpen() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            for item in ["project-filing", "land-use-planning-permit", "design-scheme-review", "construction-planning-permit"] {
                for action in ["submit", "accept", "approve"] {
                    if action == "accept" { try await server.attachEveryMaterial(code, item) }
                    let reply = try await server.act(code, item, #"{"action": "\#(action)"}"#, as: .admin)
                    #expect(reply.status == 200, "\(item) \(action): \(reply.text)")
                }
            }
            try await server.act(code, "fire-safety-design-review", #"{"action": "submit"}"#, as: .admin)
            try await server.attachEveryMaterial(code, "fire-safety-design-review")
            try await server.act(code, "fire-safety-design-review", #"{"action": "accept"}"#, as: .admin)
            server.clock.advance(by: Self.day * 40)
            let result = try await sweeper(server).sweepAll()
            #expect(result.escalations == 1)
            #expect(try await sweeper(server).sweepAll().escalations == 0)
            let status = try await server.call(.get, "/v1/projects/\(code)", as: .admin)
            let review = status.item("fire-safety-design-review")
            #expect(review["state"] as? String == "accepted")
            #expect(review["warning"] as? String == "red")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.escalate'") == 1)
            // The department can still decide it.
            #expect(try await server.act(code, "fire-safety-design-review", #"{"action": "approve"}"#, as: .admin).status == 200)
        }
    }

    @Test func aPersonApprovingWhileTheSweeperRunsGivesExactlyOneDecision() async throws {
        try await TestServer.run { server in
            for round in 0..<15 {
                let code = try await acceptedFiling(server)
                server.clock.advance(by: Self.day * 3)
                async let human = server.act(code, "project-filing", #"{"action": "approve"}"#, as: .reviewer)
                async let engine = sweeper(server).sweepAll()
                let (reply, _) = try await (human, engine)
                _ = try await sweeper(server).sweepAll()  // whatever the first sweep did not get to while the person decided
                let state = try await server.call(.get, "/v1/projects/\(code)", as: .reviewer).item("project-filing")["state"] as? String
                let decisions = try await server.count("""
                    SELECT count(*)::int FROM events e JOIN projects p ON p.id = e.project_id
                    WHERE p.code = '\(code)' AND e.kind IN ('item.approve', 'item.default_approve')
                    """)
                #expect(decisions == 1, "round \(round)")
                #expect(reply.status == 200 ? state == "approved" : (reply.status == 409 && state == "default_approved"), "round \(round): \(reply.status)")
            }
        }
    }

    @Test func twoSweepersOnOneDatabaseNeverDoAnythingTwice() async throws {
        try await TestServer.run { server in
            for _ in 0..<30 { _ = try await acceptedFiling(server) }
            server.clock.advance(by: Self.day * 3)
            async let one = sweeper(server, batchSize: 4).sweepAll()
            async let two = sweeper(server, batchSize: 4).sweepAll()
            let results = try await [one, two]
            #expect(results.map(\.defaultApprovals).reduce(0, +) == 30)
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.default_approve'") == 30)
            #expect(try await server.count("SELECT count(*)::int FROM items WHERE item_id = 'project-filing' AND state = 'default_approved'") == 30)
        }
    }

    @Test func aBatchThatDiesMidwayLeavesNothingHalfDone() async throws {
        try await TestServer.run { server in
            for _ in 0..<6 { _ = try await acceptedFiling(server) }
            server.clock.advance(by: Self.day * 3)
            struct Crash: Error {}
            await #expect(throws: Crash.self) {
                try await sweeper(server).sweepBatch { processed in
                    if processed == 4 { throw Crash() }
                }
            }
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.default_approve'") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM projects WHERE next_due_at IS NOT NULL") == 6)
            // Due since Tuesday 00:00, now Thursday 09:00: 2 days 9 hours behind.
            #expect(try await server.call(.get, "/metrics", as: nil).text.contains("sweeper_lag_seconds 205200"))
            #expect(try await sweeper(server).sweepAll().defaultApprovals == 6)
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'item.default_approve'") == 6)
        }
    }
}
