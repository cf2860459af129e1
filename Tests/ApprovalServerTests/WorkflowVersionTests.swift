import ApprovalCore
import ApprovalStore
import Foundation
import Testing

@Suite("Workflow versions: a running project keeps the version it started with", .timeLimit(.minutes(5)))
struct WorkflowVersionTests {
    /// The shipped catalog with low-risk renamed and given another version.
    static func editedCatalog(version: Int, name: String) throws -> DefinitionCatalog {
        let sources = shippedCatalog.sources.map { source in
            guard source.path.hasSuffix("low-risk.yaml") else { return source }
            let text = source.text.replacingOccurrences(of: "\nversion: 2\n", with: "\nversion: \(version)\n")
                .replacingOccurrences(of: "\nname: 简易低风险项目\n", with: "\nname: \(name)\n")
            return DefinitionSource(path: source.path, text: text)
        }
        return try DefinitionCatalog.load(sources)
    }

    @Test func aNewVersionIsRecordedAndOldProjectsKeepTheirs() async throws {
        try await TestServer.run { server in
            let old = try await server.call(.post, "/v1/projects", as: .investor, json: """
                {"workflow": "low-risk", "name": "旧", "region": "330302", "attributes": {"building-area-sqm": 1, "needs-water-connection": false}}
                """)
            let code = try #require(old.string("code"))

            let registry = try await WorkflowRegistry.register(try Self.editedCatalog(version: 3, name: "简易低风险项目（2027 版）"), in: server.database)
            #expect(try await server.count("SELECT count(*)::int FROM workflow_versions WHERE workflow_id = 'low-risk'") == 2)
            let record = try await server.database.read { try await ProjectRepository.find(code: code, on: $0, logger: server.database.logger) }!
            let project = try await server.database.read {
                try await ProjectRepository.load(record, registry: registry, on: $0, logger: server.database.logger)
            }
            #expect(project.workflow.version == 2)
            #expect(project.workflow.name == "简易低风险项目")
            #expect(registry.currentVersion(of: "low-risk")?.definition.name == "简易低风险项目（2027 版）")
        }
    }

    @Test func aChangedFileThatKeptItsVersionIsRefused() async throws {
        try await TestServer.run { server in
            let error = await #expect(throws: WorkflowRegistryError.self) {
                try await WorkflowRegistry.register(try Self.editedCatalog(version: 2, name: "改了却没升版本"), in: server.database)
            }
            #expect(error?.message.contains("raise `version`") == true)
        }
    }
}
