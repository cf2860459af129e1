import Foundation
import Testing

/// 延期 through the API: the reviewer asks, only the head of the department grants, the deadline moves by the
/// working days granted on the official calendar, and the applicant is told.
@Suite("Time-limit extensions through the API", .timeLimit(.minutes(5)))
struct TimeExtensionEndpointTests {
    @Test func theHeadGrantsAnExtensionAndTheDeadlineMovesAcrossTheMayHoliday() async throws {
        try await TestServer.run { server in
            let code = try await server.createEnterpriseProject()
            for action in ["submit", "accept", "approve"] {
                if action == "accept" { try await server.attachEveryMaterial(code, "project-filing") }
                try await server.act(code, "project-filing", #"{"action": "\#(action)"}"#, as: .admin)
            }
            server.clock.advance(by: 86_400 * 37)  // Wednesday 2026-04-08
            let eia = "eia-approval"
            try await server.act(code, eia, #"{"action": "submit"}"#, as: .investor)
            try await server.attachEveryMaterial(code, eia)
            let accepted = try await server.act(code, eia, #"{"action": "accept"}"#, as: .ecologyReviewer)
            #expect(accepted.item(eia)["deadline"] as? String == "2026-04-29", "15 working days: \(accepted.text)")

            let asked = try await server.act(code, eia, #"{"action": "requestExtension", "extensionDays": 5, "reason": "需组织专家技术评估"}"#,
                                             as: .ecologyReviewer)
            #expect(asked.status == 200, "\(asked.text)")
            #expect((asked.item(eia)["extension"] as? [String: Any])?["requestedOn"] as? String == "2026-04-08")
            let tooMany = try await server.act(code, eia, #"{"action": "requestExtension", "extensionDays": 11, "reason": "x"}"#, as: .ecologyReviewer)
            #expect(tooMany.status == 422 && tooMany.string("field") == "extensionDays", "\(tooMany.text)")
            let queue = try await server.call(.get, "/v1/queue?bucket=extensions_to_decide", as: .ecologyReviewer)
            #expect((queue.json["counts"] as? [String: Int])?["extensions_to_decide"] == 1, "\(queue.text)")
            #expect(queue.list("entries").first?["item"] as? String == eia)
            // The reviewer asking does not decide; the head of the department does.
            let notHead = try await server.act(code, eia, #"{"action": "grantExtension"}"#, as: .ecologyReviewer)
            #expect(notHead.status == 403, "\(notHead.text)")
            // The head of the city's bureau sees the county's project but does not decide for the county's bureau.
            let city = try await server.call(.post, "/v1/users", as: .admin, json: """
                {"name": "市生态环境局负责人", "role": "reviewer", "region": "330300", "department": "ecology-environment", "departmentHead": true}
                """)
            let cityHead = ["Authorization": "Bearer \(try #require((city.json["token"] as? [String: Any])?["token"] as? String))"]
            let notHers = try await server.call(.post, "/v1/projects/\(code)/items/\(eia)/actions", as: nil, json: #"{"action": "grantExtension"}"#,
                                                headers: cityHead)
            #expect(notHers.status == 403, "\(notHers.text)")
            let created = try await server.call(.post, "/v1/users", as: .admin, json: """
                {"name": "生态环境局负责人", "role": "reviewer", "region": "330302", "department": "ecology-environment", "departmentHead": true}
                """)
            #expect((created.json["user"] as? [String: Any])?["departmentHead"] as? Bool == true, "\(created.text)")
            let head = ["Authorization": "Bearer \(try #require((created.json["token"] as? [String: Any])?["token"] as? String))"]
            let granted = try await server.call(.post, "/v1/projects/\(code)/items/\(eia)/actions", as: nil,
                                                json: #"{"action": "grantExtension"}"#, headers: head)
            #expect(granted.status == 200, "\(granted.text)")
            // 04-30, then 劳动节 (05-01 to 05-05), then 05-06, 07, 08 and Saturday 05-09, a make-up working day.
            #expect(granted.item(eia)["deadline"] as? String == "2026-05-09")
            #expect(granted.item(eia)["limit"] as? Int == 20)
            #expect((granted.item(eia)["extension"] as? [String: Any])?["granted"] as? Bool == true)
            #expect((granted.json["clock"] as? [String: Any])?["totalLimit"] as? Int == 90, "the project's total limit does not move")
            let again = try await server.act(code, eia, #"{"action": "requestExtension", "extensionDays": 2, "reason": "再次"}"#, as: .ecologyReviewer)
            #expect(again.status == 422 && again.string("detail")?.contains("once") == true, "\(again.text)")
            // The department's report counts the extension and its days.
            let report = try await server.call(.get, "/v1/reports/departments", as: .leader).list("departments")
            let ecology = report.first { $0["department"] as? String == "ecology-environment" }
            #expect(ecology?["extensions"] as? Int == 1 && ecology?["extensionDays"] as? Int == 5, "\(report)")
            // The applicant is told why, by how much, and until when.
            #expect((try await server.call(.get, "/v1/queue", as: .ecologyReviewer).json["counts"] as? [String: Int])?["extensions_to_decide"] == 0)
            let told = try await server.call(.get, "/v1/notifications", as: .investor).list("notifications")
            let notice = try #require(told.first { $0["kind"] as? String == "item.grant_extension" }?["event"] as? [String: Any], "\(told)")
            #expect(notice["days"] as? Int == 5 && notice["reason"] as? String == "需组织专家技术评估" && notice["deadline"] as? String == "2026-05-09",
                    "\(notice)")
            // Only a reviewer heads a department; items the workflow does not let extend say so.
            let investorHead = try await server.call(.post, "/v1/users", as: .admin, json: """
                {"name": "x", "role": "investor", "region": "330302", "organisation": "ORG-X", "departmentHead": true}
                """)
            #expect(investorHead.status == 422 && investorHead.string("field") == "departmentHead", "\(investorHead.text)")
            #expect(try await server.call(.get, "/v1/workflows/enterprise-investment", as: .investor).list("stages")
                .flatMap { $0["items"] as? [[String: Any]] ?? [] }.first { $0["id"] as? String == eia }?["extensionDays"] as? Int == 10)
        }
    }
}
