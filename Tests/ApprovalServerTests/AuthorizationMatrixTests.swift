import Foundation
import HTTPTypes
import Testing

/// Every role against every endpoint (issue 3 §5): what each may see and do. A project the caller may not see
/// is 404, not 403. Each call runs on a project of its own, so the expectations do not depend on order.
@Suite("Authorization: every role against every endpoint", .timeLimit(.minutes(5)))
struct AuthorizationMatrixTests {
    /// nil in a row means "anonymous".
    static let callers: [TestUser?] = TestUser.allCases + [nil]

    struct Endpoint: Sendable {
        let name: String
        let method: HTTPRequest.Method
        let path: @Sendable (_ code: String, _ ids: [TestUser: Int64], _ tokenID: Int) -> String
        let body: @Sendable (_ ids: [TestUser: Int64]) -> String?
        /// Expected status by caller; anonymous is always 401.
        let expected: [TestUser: Int]
    }

    static func same(_ status: Int, except: [TestUser: Int] = [:]) -> [TestUser: Int] {
        Dictionary(uniqueKeysWithValues: TestUser.allCases.map { ($0, except[$0] ?? status) })
    }

    /// Who sees the test project (Investor A's, in 330302, with `agent` assigned).
    static let seeing = same(200, except: [.otherInvestor: 404, .otherRegionReviewer: 404, .otherRegionCoordinator: 404, .otherAgent: 404])

    static func seeingOr(_ status: Int, allowed: Set<TestUser>) -> [TestUser: Int] {
        seeing.mapValues { $0 }.reduce(into: [:]) { result, entry in
            result[entry.key] = entry.value == 404 ? 404 : allowed.contains(entry.key) ? 200 : status
        }
    }

    static let endpoints: [Endpoint] = [
        Endpoint(name: "GET /v1/me", method: .get, path: { _, _, _ in "/v1/me" }, body: { _ in nil }, expected: same(200)),
        Endpoint(name: "GET /v1/workflows", method: .get, path: { _, _, _ in "/v1/workflows" }, body: { _ in nil }, expected: same(200)),
        Endpoint(name: "GET /v1/workflows/{id}", method: .get, path: { _, _, _ in "/v1/workflows/low-risk" }, body: { _ in nil }, expected: same(200)),
        Endpoint(name: "GET /v1/departments", method: .get, path: { _, _, _ in "/v1/departments" }, body: { _ in nil }, expected: same(200)),
        Endpoint(name: "GET /v1/queue", method: .get, path: { _, _, _ in "/v1/queue" }, body: { _ in nil },
                 expected: same(403, except: [.admin: 200, .reviewer: 200, .planningReviewer: 200, .ecologyReviewer: 200, .otherRegionReviewer: 200,
                                              .coordinator: 200, .otherRegionCoordinator: 200])),
        Endpoint(name: "POST /v1/projects", method: .post, path: { _, _, _ in "/v1/projects" }, body: { _ in """
            {"workflow": "low-risk", "name": "x", "region": "330302", "investorOrganisation": "ORG-A",
             "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
            """ }, expected: same(403, except: [.admin: 201, .investor: 201, .otherInvestor: 422, .coordinator: 201, .otherRegionCoordinator: 422])),
        Endpoint(name: "GET /v1/projects", method: .get, path: { _, _, _ in "/v1/projects" }, body: { _ in nil }, expected: same(200)),
        Endpoint(name: "GET /v1/projects/{code}", method: .get, path: { code, _, _ in "/v1/projects/\(code)" }, body: { _ in nil }, expected: seeing),
        Endpoint(name: "GET /v1/projects/{code}/timeline", method: .get, path: { code, _, _ in "/v1/projects/\(code)/timeline" },
                 body: { _ in nil }, expected: seeing),
        Endpoint(name: "PATCH /v1/projects/{code}", method: .patch, path: { code, _, _ in "/v1/projects/\(code)" },
                 body: { _ in #"{"name": "改名"}"# }, expected: seeingOr(403, allowed: [.admin, .investor, .coordinator])),
        Endpoint(name: "POST /v1/projects/{code}/agent/handover", method: .post, path: { code, _, _ in "/v1/projects/\(code)/agent/handover" },
                 body: { ids in #"{"agentId": \#(ids[.otherAgent]!), "reason": "调岗", "handoverNote": "材料在档案柜"}"# },
                 expected: seeingOr(403, allowed: [.admin, .coordinator])),
        // Agents act for the investor only under an agency agreement, and this project has none.
        Endpoint(name: "POST /v1/projects/{code}/progress", method: .post, path: { code, _, _ in "/v1/projects/\(code)/progress" },
                 body: { _ in #"{"kind": "contacted_department", "text": "已联系发改局"}"# },
                 expected: seeingOr(403, allowed: [.admin, .coordinator, .agent]).mapValues { $0 == 200 ? 201 : $0 }),
        Endpoint(name: "GET /v1/projects/{code}/progress", method: .get, path: { code, _, _ in "/v1/projects/\(code)/progress" },
                 body: { _ in nil }, expected: seeing),
        Endpoint(name: "POST /v1/projects/{code}/agreement authorise", method: .post, path: { code, _, _ in "/v1/projects/\(code)/agreement" },
                 body: { _ in #"{"action": "authorise", "scope": ["energy-review"]}"# },
                 expected: seeingOr(403, allowed: [.admin, .coordinator, .investor])),
        Endpoint(name: "PUT /v1/projects/{code}/ratings", method: .put, path: { code, _, _ in "/v1/projects/\(code)/ratings" },
                 body: { _ in #"{"subject": "project-filing", "score": 5, "text": "好"}"# },
                 // The investor reaches the item and learns it has not ended yet (409).
                 expected: seeingOr(403, allowed: [.investor]).mapValues { $0 == 200 ? 409 : $0 }),
        Endpoint(name: "GET /v1/agents", method: .get, path: { _, _, _ in "/v1/agents" }, body: { _ in nil },
                 expected: same(200, except: [.investor: 403, .otherInvestor: 403, .reviewer: 403, .planningReviewer: 403,
                                              .ecologyReviewer: 403, .otherRegionReviewer: 403])),
        Endpoint(name: "GET /v1/reports/overdue", method: .get, path: { _, _, _ in "/v1/reports/overdue" }, body: { _ in nil },
                 expected: same(403, except: [.admin: 200, .coordinator: 200, .otherRegionCoordinator: 200, .leader: 200])),
        Endpoint(name: "GET /v1/reports/agent-workload", method: .get, path: { _, _, _ in "/v1/reports/agent-workload" }, body: { _ in nil },
                 expected: same(200, except: [.investor: 403, .otherInvestor: 403, .reviewer: 403, .planningReviewer: 403,
                                              .ecologyReviewer: 403, .otherRegionReviewer: 403])),
        Endpoint(name: "POST …/items/energy-review/actions submit", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/items/energy-review/actions" },
                 body: { _ in #"{"action": "submit"}"# }, expected: seeingOr(403, allowed: [.admin, .investor])),
        Endpoint(name: "POST …/items/project-filing/actions accept", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/items/project-filing/actions" },
                 body: { _ in #"{"action": "accept"}"# }, expected: seeingOr(403, allowed: [.admin, .reviewer])),
        Endpoint(name: "POST …/items/soil-water-conservation/actions exempt", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/items/soil-water-conservation/actions" },
                 body: { _ in #"{"action": "exempt", "source": "区域评估"}"# }, expected: seeingOr(403, allowed: [.admin, .coordinator])),
        Endpoint(name: "POST /v1/users", method: .post, path: { _, _, _ in "/v1/users" },
                 body: { _ in #"{"name": "x", "role": "leader", "region": "330000"}"# }, expected: same(403, except: [.admin: 201])),
        Endpoint(name: "GET /v1/users", method: .get, path: { _, _, _ in "/v1/users" }, body: { _ in nil },
                 expected: same(403, except: [.admin: 200, .coordinator: 200, .otherRegionCoordinator: 200])),
        Endpoint(name: "POST /v1/users/{id}/tokens", method: .post, path: { _, ids, _ in "/v1/users/\(ids[.agent]!)/tokens" },
                 body: { _ in nil }, expected: same(403, except: [.admin: 201])),
        Endpoint(name: "GET /v1/projects/{code}/meetings", method: .get, path: { code, _, _ in "/v1/projects/\(code)/meetings" },
                 body: { _ in nil }, expected: seeing),
        Endpoint(name: "POST /v1/projects/{code}/meetings", method: .post, path: { code, _, _ in "/v1/projects/\(code)/meetings" },
                 body: { _ in """
                     {"kind": "joint_review", "stage": "project-approval-land-use", "scheduledOn": "2026-03-03",
                      "invitations": [{"department": "development-reform", "items": ["project-filing"]}]}
                     """ },
                 expected: seeingOr(403, allowed: [.admin, .coordinator]).mapValues { $0 == 200 ? 201 : $0 }),
        // No such meeting: those allowed to close meetings are told so (404); the others are refused first.
        Endpoint(name: "POST /v1/projects/{code}/meetings/{id}/close", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/meetings/999999/close" }, body: { _ in #"{"attendance": []}"# },
                 expected: seeingOr(403, allowed: [.admin, .coordinator]).mapValues { $0 == 200 ? 404 : $0 }),
        Endpoint(name: "GET /v1/admin/clock", method: .get, path: { _, _, _ in "/v1/admin/clock" }, body: { _ in nil },
                 expected: same(403, except: [.admin: 200])),
        // The matrix's server has no virtual clock: admins are told it is off (404), everyone else is refused first.
        Endpoint(name: "POST /v1/admin/clock", method: .post, path: { _, _, _ in "/v1/admin/clock" }, body: { _ in #"{"advanceDays": 1}"# },
                 expected: same(403, except: [.admin: 404])),
        Endpoint(name: "POST …/items/project-filing/actions recordFormalDocument", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/items/project-filing/actions" },
                 body: { _ in #"{"action": "recordFormalDocument", "documentNumber": "x"}"# },
                 // Allowed callers reach the item and learn it owes no document (409).
                 expected: seeingOr(403, allowed: [.admin, .reviewer]).mapValues { $0 == 200 ? 409 : $0 }),
        // 延期: asked for by the item's department; decided by its head in the project's region (TimeExtensionEndpointTests),
        // so the matrix's reviewer, not a head, is refused a decision. Allowed callers learn the filing has none (409).
        Endpoint(name: "POST …/items/project-filing/actions requestExtension", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/items/project-filing/actions" },
                 body: { _ in #"{"action": "requestExtension", "extensionDays": 2, "reason": "需现场核查"}"# },
                 expected: seeingOr(403, allowed: [.admin, .reviewer]).mapValues { $0 == 200 ? 409 : $0 }),
        Endpoint(name: "POST …/items/project-filing/actions grantExtension", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/items/project-filing/actions" },
                 body: { _ in #"{"action": "grantExtension"}"# },
                 expected: seeingOr(403, allowed: [.admin]).mapValues { $0 == 200 ? 409 : $0 }),
        Endpoint(name: "POST …/items/project-filing/actions refuseExtension", method: .post,
                 path: { code, _, _ in "/v1/projects/\(code)/items/project-filing/actions" },
                 body: { _ in #"{"action": "refuseExtension", "reason": "无需延期"}"# },
                 expected: seeingOr(403, allowed: [.admin]).mapValues { $0 == 200 ? 409 : $0 }),
        // Everyone has an inbox and may subscribe it to a webhook; whose webhook is whose: WebhookTests.
        Endpoint(name: "GET /v1/notifications", method: .get, path: { _, _, _ in "/v1/notifications" }, body: { _ in nil }, expected: same(200)),
        Endpoint(name: "POST /v1/webhooks", method: .post, path: { _, _, _ in "/v1/webhooks" },
                 body: { _ in #"{"url": "https://example.org/hook", "secret": "0123456789abcdef"}"# }, expected: same(201)),
        Endpoint(name: "GET /v1/webhooks", method: .get, path: { _, _, _ in "/v1/webhooks" }, body: { _ in nil }, expected: same(200)),
        Endpoint(name: "DELETE /v1/tokens/{id} (the leader's)", method: .delete, path: { _, _, tokenID in "/v1/tokens/\(tokenID)" },
                 body: { _ in nil }, expected: same(404, except: [.admin: 204, .leader: 204])),
    ]

    @Test(arguments: endpoints.map(\.name))
    func everyRole(_ endpointName: String) async throws {
        let endpoint = Self.endpoints.first { $0.name == endpointName }!
        try await TestServer.run { server in
            for caller in Self.callers {
                // A project of its own for each call: Investor A's, with its agent and the filing submitted.
                let code = try await server.createEnterpriseProject()
                try await server.call(.put, "/v1/projects/\(code)/agent", as: .coordinator, json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
                try await server.act(code, "project-filing", #"{"action": "submit"}"#, as: .investor)
                if endpointName.hasSuffix(" accept") { try await server.attachEveryMaterial(code, "project-filing") }
                let token = try await server.call(.post, "/v1/users/\(server.userIDs[.leader]!)/tokens", as: .admin)
                let tokenID = try #require(token.int("id"))

                let reply = try await server.call(endpoint.method, endpoint.path(code, server.userIDs, tokenID), as: caller,
                                                  json: endpoint.body(server.userIDs))
                let expected = caller.map { endpoint.expected[$0]! } ?? 401
                #expect(reply.status == expected, "\(endpoint.name) as \(caller?.rawValue ?? "anonymous"): \(reply.text)")
                if reply.status >= 400 {
                    #expect(reply.header("Content-Type") == "application/problem+json")
                }
            }
        }
    }
}
