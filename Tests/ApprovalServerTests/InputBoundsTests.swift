import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Every request the contract refuses gets a problem+json naming the field, nothing is written, and the process
/// (this test process hosts the server) stays up: each case here once crashed, hung or was accepted.
@Suite("Input bounds: the contract is the validator", .timeLimit(.minutes(5)))
struct InputBoundsTests {
    private func expectProblem(_ reply: Reply, _ status: Int, field: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.header("Content-Type") == "application/problem+json", sourceLocation: sourceLocation)
        #expect(reply.string("field") == field, "\(reply.text)", sourceLocation: sourceLocation)
    }

    @Test func aNegativePromiseAtAMeetingIsRefusedBeforeAnythingChanges() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            for item in ["project-filing", "energy-review", "soil-water-conservation"] {
                try await server.act(code, item, #"{"action": "submit"}"#, as: .investor)
                try await server.attachEveryMaterial(code, item)
                try await server.act(code, item, #"{"action": "accept"}"#, as: .admin)
            }
            let meetingID = try #require(try await server.call(.post, "/v1/projects/\(code)/meetings", as: .coordinator,
                                                               json: MeetingTests.schedule).int("id"))
            let events = try await server.count("SELECT count(*)::int FROM events")
            let close = """
                {"attendance": [{"department": "development-reform", "status": "absent"},
                                {"department": "water-resources", "status": "attended", "promisedDays": [{"item": "soil-water-conservation", "days": -1}]}]}
                """
            let refused = try await server.call(.post, "/v1/projects/\(code)/meetings/\(meetingID)/close", as: .coordinator, json: close)
            expectProblem(refused, 422, field: "attendance[1].promisedDays[0].days")
            #expect(try await server.count("SELECT count(*)::int FROM events") == events)
            let absurd = close.replacingOccurrences(of: "-1", with: "9223372036854775807")
            expectProblem(try await server.call(.post, "/v1/projects/\(code)/meetings/\(meetingID)/close", as: .coordinator, json: absurd),
                          422, field: "attendance[1].promisedDays[0].days")
            // Still open, and the server still serves.
            let meetings = try await server.call(.get, "/v1/projects/\(code)/meetings", as: .coordinator).list("meetings")
            #expect(meetings.first?["closedOn"] == nil)
            #expect(try await server.call(.get, "/v1/me", as: .coordinator).status == 200)
        }
    }

    @Test func theVirtualClockOnlyMovesForwardAndBoundedly() async throws {
        try await TestServer.run(virtualClockControl: true) { server in
            for (body, field) in [(#"{"advanceDays": -9223372036854775807}"#, "advanceDays"), (#"{"advanceDays": -3}"#, "advanceDays"),
                                  (#"{"advanceHours": 9223372036854775807}"#, "advanceHours"), (#"{"advanceDays": 3661}"#, "advanceDays"),
                                  (#"{"set": "9999-01-01T00:00:00Z"}"#, "set")] {
                let reply = try await server.call(.post, "/v1/admin/clock", as: .admin, json: body)
                #expect(reply.status == 422, "\(body) → \(reply.text)")
                #expect(reply.string("field") == field, "\(body) → \(reply.text)")
            }
            #expect(try await server.call(.get, "/v1/admin/clock", as: .admin).string("today") == "2026-03-02")
        }
    }

    @Test func idempotencyKeysAreBoundedAsTheContractSays() async throws {
        try await TestServer.run { server in
            let random = String((0..<6000).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
            for key in [random, String(repeating: "a", count: 5000), String(repeating: "k", count: 201)] {
                let reply = try await server.call(.post, "/v1/projects", as: .investor, json: """
                    {"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {}}
                    """, headers: ["Idempotency-Key": key])
                expectProblem(reply, 422, field: "Idempotency-Key")
            }
            #expect(try await server.count("SELECT count(*)::int FROM projects") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM idempotency_keys") == 0)
        }
    }

    @Test func lengthsCountsAndNullsAreEnforcedForEveryOperation() async throws {
        try await TestServer.run { server in
            let longName = String(repeating: "名", count: 100_000)
            expectProblem(try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "\(longName)", "region": "330302", "attributes": {}}
                """), 422, field: "name")
            #expect(try await server.count("SELECT count(*)::int FROM projects") == 0)

            let users = try await server.count("SELECT count(*)::int FROM users")
            expectProblem(try await server.call(.post, "/v1/users", as: .admin, json: """
                {"name": "\(String(repeating: "x", count: 201))", "role": "leader", "region": "330302"}
                """), 422, field: "name")
            expectProblem(try await server.call(.post, "/v1/users", as: .admin, json: """
                {"name": "x", "role": "reviewer", "region": "330302", "department": null}
                """), 400, field: "department")
            #expect(try await server.count("SELECT count(*)::int FROM users") == users)

            let agent = try #require(server.userIDs[.agent])
            expectProblem(try await server.call(.patch, "/v1/agents/\(agent)", as: .coordinator, json: #"{"active": null}"#), 400, field: "active")
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE id = \(agent) AND active") == 1)

            let code = try await server.createEnterpriseProject()
            let meetings = try await server.call(.post, "/v1/projects/\(code)/meetings", as: .coordinator, json: """
                {"kind": "joint_review", "stage": "project-approval-land-use", "scheduledOn": "2026-03-02", "invitations": []}
                """)
            expectProblem(meetings, 422, field: "invitations")
            #expect(try await server.count("SELECT count(*)::int FROM meetings") == 0)
            // Every problem is named at once, each with its own field.
            let several = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "", "region": "33", "attributes": {}}
                """)
            #expect(several.status == 422)
            #expect(Set((several.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }) == ["name", "region"])
        }
    }

    @Test func theBodyIsCheckedWhateverItsContentTypeSays() async throws {
        try await TestServer.run(virtualClockControl: true) { server in
            for contentType in ["*/*", "text/plain", "json", "application/json; charset=utf-8"] {
                let reply = try await server.call(.post, "/v1/admin/clock", as: .admin, json: #"{"advanceDays": -3}"#,
                                                  headers: ["Content-Type": contentType])
                #expect(reply.status >= 400 && reply.status < 500, "\(contentType) → \(reply.text)")
            }
            #expect(try await server.call(.get, "/v1/admin/clock", as: .admin).string("today") == "2026-03-02")
            // A field the operation does not take is refused, by name, rather than ignored.
            let admin = try #require(server.userIDs[.admin])
            expectProblem(try await server.call(.post, "/v1/users/\(admin)/tokens", as: .admin, json: #"{"x": 1}"#), 400, field: "x")
            #expect(try await server.count("SELECT count(*)::int FROM tokens") == TestUser.allCases.count)
        }
    }

    @Test func lengthsCountCodePointsAsTheDatabaseStoresThem() async throws {
        try await TestServer.run { server in
            // One character as a reader sees it, 1,401 code points and 2.8 KB as a key.
            let key = "a" + String(repeating: "\u{301}", count: 1400)
            expectProblem(try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {}}
                """, headers: ["Idempotency-Key": key]), 422, field: "Idempotency-Key")
            // An attribute may be a boolean, a number or a string, and a string has a bound.
            expectProblem(try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {"note": "\(String(repeating: "x", count: 1001))"}}
                """), 422, field: "attributes.note")
            expectProblem(try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "x", "region": "330302", "attributes": {"note": [1]}}
                """), 400, field: "attributes.note")
            #expect(try await server.count("SELECT count(*)::int FROM projects") == 0)
        }
    }

    @Test func datesAreFourDigitYearsWithinTheCalendars() async throws {
        try await TestServer.run { server in
            for report in ["overdue", "throughput", "at-risk", "departments"] {
                expectProblem(try await server.call(.get, "/v1/reports/\(report)?asOf=0313-10-10", as: .leader), 422, field: "asOf")
                expectProblem(try await server.call(.get, "/v1/reports/\(report)?asOf=2026-02-30", as: .leader), 422, field: "asOf")
            }
            let report = try await server.call(.get, "/v1/reports/overdue?asOf=2026-10-09", as: .leader)
            #expect(report.string("asOf") == "2026-10-09")
        }
    }

    @Test func anOversizedHeaderIsAProblemToo() async throws {
        try await TestServer.run(setup: .live) { server in
            let port = try #require(server.client.port)
            let answer = try await Self.exchange(port: port, request: "GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test-investor\r\n"
                                                 + "X-Padding: \(String(repeating: "p", count: 300_000))\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 431"), "\(answer.prefix(300))")
            #expect(answer.contains("Content-Type: application/problem+json"))
            #expect(answer.contains(#""type":"/problems/header-too-large""#))
            #expect(try await server.call(.get, "/v1/me", as: .investor).status == 200)
        }
    }

    /// Sends raw bytes over TCP and reads the answer until the server closes. The server answers and closes while
    /// the header is still arriving, which HTTP clients report as a failed write, so this writes what it can and
    /// reads what came back.
    static func exchange(port: Int, request: String) async throws -> String {
        try await TestProcesses.withSocket(port: port, timeout: 10) { socket in
            let bytes = Array(request.utf8)
            var sent = 0
            while sent < bytes.count {
                let written = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if written <= 0 { break }
                sent += written
            }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = recv(socket, &buffer, buffer.count, 0)
                if count <= 0 { break }
                answer += buffer[..<count]
            }
            return String(decoding: answer, as: UTF8.self)
        }
    }
}
