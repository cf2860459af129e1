import ApprovalCore
import Foundation
import Testing

/// An integration engineer reads what a workflow contains through the API, not from the YAML files.
@Suite("Workflows and departments through the API", .timeLimit(.minutes(5)))
struct WorkflowEndpointTests {
    @Test func aWorkflowReadsWhole() async throws {
        try await TestServer.run { server in
            let reply = try await server.call(.get, "/v1/workflows/enterprise-investment", as: .investor)
            #expect(reply.status == 200, "\(reply.text)")
            let definition = try #require(shippedCatalog.workflows["enterprise-investment"])
            #expect(reply.int("version") == definition.version && reply.string("calendar") == definition.calendarID)
            #expect(reply.int("totalLimit") == definition.totalLimit)
            #expect((reply.json["attributes"] as? [[String: Any]])?.map { $0["id"] as? String } == definition.attributes.map(\.id))
            let stages = reply.list("stages")
            #expect(stages.map { $0["id"] as? String } == definition.stages.map(\.id))
            #expect(stages.map { $0["lead"] as? String } == definition.stages.map(\.leadDepartment))
            let items = stages.flatMap { $0["items"] as? [[String: Any]] ?? [] }
            #expect(items.map { $0["id"] as? String } == definition.items.map(\.id))
            for (item, declared) in zip(items, definition.items) {
                #expect(item["department"] as? String == declared.department && item["limit"] as? Int == declared.limit)
                #expect(item["dependsOn"] as? [String] == declared.dependsOn)
                #expect(item["condition"] as? String == declared.condition?.description)
                #expect(item["onTimeout"] as? String == declared.onTimeout.rawValue)
                #expect(item["deficiencyAcceptance"] as? Bool == declared.allowsDeficiencyAcceptance)
                #expect((item["requires"] as? [[String: Any]])?.map { $0["id"] as? String } == declared.requirements.map(\.id))
                #expect(item["produces"] as? String == declared.produces)
            }
            // What a reader looks for: the energy review applies from 1,000 tce, fire safety is never silent.
            let energy = try #require(items.first { $0["id"] as? String == "energy-review" })
            #expect((energy["condition"] as? String)?.contains("annual-energy-tce") == true)
            #expect(items.first { $0["id"] as? String == "fire-safety-design-review" }?["onTimeout"] as? String == "escalate")
            #expect(reply.list("phases").count == definition.phases.count)

            // The version a project runs, by its number; a version or workflow that does not exist is a 404 naming it.
            #expect(try await server.call(.get, "/v1/workflows/enterprise-investment?version=\(definition.version)", as: .leader).status == 200)
            let noVersion = try await server.call(.get, "/v1/workflows/enterprise-investment?version=99", as: .leader)
            #expect(noVersion.status == 404 && noVersion.string("field") == "version", "\(noVersion.text)")
            let unknown = try await server.call(.get, "/v1/workflows/no-such-flow", as: .leader)
            #expect(unknown.status == 404 && unknown.string("field") == "workflowId" && unknown.text.contains("low-risk"), "\(unknown.text)")
            #expect(try await server.call(.get, "/v1/workflows/enterprise-investment", as: nil).status == 401)
        }
    }

    @Test func theDepartmentsAreListedWithTheirNames() async throws {
        try await TestServer.run { server in
            let departments = try await server.call(.get, "/v1/departments", as: .agent).list("departments")
            #expect(departments.map { $0["id"] as? String } == shippedCatalog.departments.keys.sorted())
            let reform = try #require(departments.first { $0["id"] as? String == "development-reform" })
            #expect(reform["name"] as? String == shippedCatalog.departments["development-reform"]?.name)
            #expect(Set(departments.compactMap { $0["kind"] as? String }) == ["government", "utility"])
            #expect(reform["windows"] == nil, "windows only for a region")
        }
    }

    /// Whom to call about an item: the department's windows whose jurisdiction covers the project's region, the
    /// county's before the city's; a window without a phone, or of another city, is not listed.
    @Test func aRegionsWindowsAreListedMostLocalFirst() async throws {
        try await TestServer.run { server in
            try await server.sql("UPDATE users SET phone = '0577-1' WHERE name = '发改窗口'")
            try await server.sql("UPDATE users SET phone = '0571-1' WHERE name = '杭州发改窗口'")
            try await server.sql("UPDATE users SET phone = '0577-2' WHERE name = '资规窗口'")
            let lucheng = try await server.call(.get, "/v1/departments?region=330302", as: .investor).list("departments")
            let windows = { (id: String) in (lucheng.first { $0["id"] as? String == id }?["windows"] as? [[String: Any]] ?? []).compactMap { $0["phone"] as? String } }
            #expect(windows("development-reform") == ["0577-1"] && windows("natural-resources-planning") == ["0577-2"], "\(lucheng)")
            #expect(windows("ecology-environment").isEmpty)
            let hangzhou = try await server.call(.get, "/v1/departments?region=330106", as: .investor).list("departments")
            #expect((hangzhou.first { $0["id"] as? String == "development-reform" }?["windows"] as? [[String: Any]])?.compactMap { $0["phone"] as? String } == ["0571-1"])
            #expect(try await server.call(.get, "/v1/departments?region=300000", as: .investor).status == 400)
        }
    }
}
