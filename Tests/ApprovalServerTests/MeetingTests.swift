import Foundation
import Testing

@Suite("Joint review meetings: absence is consent, promises cap deadlines", .timeLimit(.minutes(5)))
struct MeetingTests {
    static let schedule = """
        {"kind": "joint_review", "stage": "project-approval-land-use", "scheduledOn": "2026-03-03", "invitations": [
          {"department": "development-reform", "items": ["project-filing", "energy-review"]},
          {"department": "water-resources", "items": ["soil-water-conservation"]}]}
        """

    @Test func closingAppliesAbsenceAndPromises() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            for item in ["project-filing", "energy-review", "soil-water-conservation"] {
                try await server.act(code, item, #"{"action": "submit"}"#, as: .investor)
                try await server.attachEveryMaterial(code, item)
                #expect(try await server.act(code, item, #"{"action": "accept"}"#, as: .admin).status == 200)
            }
            #expect(try await server.call(.post, "/v1/projects/\(code)/meetings", as: .reviewer, json: Self.schedule).status == 403)
            let wrong = try await server.call(.post, "/v1/projects/\(code)/meetings", as: .coordinator, json: """
                {"kind": "joint_review", "stage": "project-approval-land-use", "scheduledOn": "2026-03-03", "invitations": [
                  {"department": "water-resources", "items": ["project-filing"]}]}
                """)
            #expect(wrong.status == 422)
            #expect(wrong.string("field") == "invitations[0].items[0]")

            // Called for today, it could be closed at once with its absentees deemed to consent: a working day ahead at least.
            let today = try await server.call(.post, "/v1/projects/\(code)/meetings", as: .coordinator,
                                              json: Self.schedule.replacingOccurrences(of: "2026-03-03", with: "2026-03-02"))
            #expect(today.status == 422 && today.string("field") == "scheduledOn" && today.text.contains("2026-03-03"), "\(today.text)")
            let scheduled = try await server.call(.post, "/v1/projects/\(code)/meetings", as: .coordinator, json: Self.schedule,
                                                  headers: ["Idempotency-Key": "m-1"])
            #expect(scheduled.status == 201, "\(scheduled.text)")
            let meetingID = try #require(scheduled.int("id"))
            let retried = try await server.call(.post, "/v1/projects/\(code)/meetings", as: .coordinator, json: Self.schedule,
                                                headers: ["Idempotency-Key": "m-1"])
            #expect(retried.status == 201)
            #expect(retried.int("id") == meetingID)
            let listed = try await server.call(.get, "/v1/projects/\(code)/meetings", as: .investor)
            #expect(listed.list("meetings").count == 1)
            // The invited departments' reviewers, the investor and nobody else are told of it.
            func heard(_ user: TestUser) async throws -> String? {
                try await server.call(.get, "/v1/notifications", as: user).list("notifications")
                    .first { $0["kind"] as? String == "meeting.scheduled" }?["audience"] as? String
            }
            #expect(try await heard(.reviewer) == "invited_department")
            #expect(try await heard(.investor) == "investor")
            #expect(try await heard(.ecologyReviewer) == nil)
            #expect(try await heard(.otherRegionReviewer) == nil)
            // Its minutes wait for the day it is held.
            let early = try await server.call(.post, "/v1/projects/\(code)/meetings/\(meetingID)/close", as: .coordinator, json: """
                {"attendance": [{"department": "development-reform", "status": "absent"}, {"department": "water-resources", "status": "absent"}]}
                """)
            #expect(early.status == 422 && early.string("field") == "meetingId", "\(early.text)")
            server.clock.advance(by: 86_400)

            let incomplete = try await server.call(.post, "/v1/projects/\(code)/meetings/\(meetingID)/close", as: .coordinator,
                                                   json: #"{"attendance": [{"department": "water-resources", "status": "attended"}]}"#)
            #expect(incomplete.status == 422)
            #expect(incomplete.string("detail")?.contains("development-reform") == true)

            let closed = try await server.call(.post, "/v1/projects/\(code)/meetings/\(meetingID)/close", as: .coordinator, json: """
                {"attendance": [{"department": "development-reform", "status": "absent"},
                                {"department": "water-resources", "status": "attended", "promisedDays": [{"item": "soil-water-conservation", "days": 2}]}]}
                """)
            #expect(closed.status == 200, "\(closed.text)")
            for item in ["project-filing", "energy-review"] {
                #expect(closed.item(item)["state"] as? String == "default_approved")
                #expect(closed.item(item)["defaultApprovalReason"] as? String == "absence")
            }
            // Accepted Monday 03-02 with a 20-day limit; promised 2 working days at Tuesday's meeting: Thursday 03-05.
            #expect(closed.item("soil-water-conservation")["deadline"] as? String == "2026-03-05")
            #expect(closed.item("soil-water-conservation")["state"] as? String == "accepted")

            let again = try await server.call(.post, "/v1/projects/\(code)/meetings/\(meetingID)/close", as: .coordinator,
                                              json: #"{"attendance": [{"department": "development-reform", "status": "attended"}, {"department": "water-resources", "status": "attended"}]}"#)
            #expect(again.status == 409)
            let kinds = try await server.call(.get, "/v1/projects/\(code)/timeline", as: .admin).list("events").compactMap { $0["kind"] as? String }
            #expect(kinds.contains("meeting.scheduled") && kinds.contains("meeting.closed"))
        }
    }

    @Test func leaveIsNotConsentAndUnsafeItemsAreEscalatedNotApproved() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            for item in ["project-filing", "land-use-planning-permit", "design-scheme-review", "construction-planning-permit"] {
                for action in ["submit", "accept", "approve"] {
                    if action == "accept" { try await server.attachEveryMaterial(code, item) }
                    try await server.act(code, item, #"{"action": "\#(action)"}"#, as: .admin) }
            }
            for item in ["fire-safety-design-review", "construction-drawing-review"] {
                try await server.act(code, item, #"{"action": "submit"}"#, as: .admin)
                try await server.attachEveryMaterial(code, item)
                try await server.act(code, item, #"{"action": "accept"}"#, as: .admin)
            }
            let stage = try #require(try await server.call(.get, "/v1/projects/\(code)", as: .admin).item("fire-safety-design-review")["stage"] as? String)
            let scheduled = try await server.call(.post, "/v1/projects/\(code)/meetings", as: .coordinator, json: """
                {"kind": "joint_review", "stage": "\(stage)", "scheduledOn": "2026-03-03", "invitations": [
                  {"department": "fire-safety-review", "items": ["fire-safety-design-review"]},
                  {"department": "housing-construction", "items": ["construction-drawing-review"]}]}
                """)
            #expect(scheduled.status == 201, "\(scheduled.text)")
            server.clock.advance(by: 86_400)
            let closed = try await server.call(.post, "/v1/projects/\(code)/meetings/\(try #require(scheduled.int("id")))/close", as: .coordinator, json: """
                {"attendance": [{"department": "fire-safety-review", "status": "absent"}, {"department": "housing-construction", "status": "leave"}]}
                """)
            #expect(closed.status == 200, "\(closed.text)")
            #expect(closed.item("fire-safety-design-review")["state"] as? String == "accepted")
            #expect(closed.item("construction-drawing-review")["state"] as? String == "accepted")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE kind = 'meeting.absence_escalated' AND item_id = 'fire-safety-design-review'") == 1)
        }
    }
}
