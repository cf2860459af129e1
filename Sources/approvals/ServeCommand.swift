import ApprovalCore
import ApprovalServer
import ApprovalStore
import ArgumentParser
import Foundation
import Hummingbird

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the /v1 API (and /healthz, /readyz, /metrics, /openapi.yaml).",
        discussion: "Without DATABASE_URL, a private PostgreSQL cluster is started in ./.postgres and kept between runs."
    )

    @Option(help: "Address to listen on.")
    var host: String = ProcessInfo.processInfo.environment["APPROVALS_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_PORT"] ?? "") ?? 8080

    @Option(help: "Directory holding departments.yaml, calendars/ and the workflow files.")
    var workflows: String = ProcessInfo.processInfo.environment["APPROVALS_WORKFLOWS"] ?? "Workflows"

    @Flag(help: "Do not apply pending migrations at start-up; refuse to start if any is pending.")
    var noMigrate = false

    @Flag(help: "Load demo users (with public, well-known tokens) and sample projects. Never in production.")
    var demo = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = database.makeLogger()
        let catalog: DefinitionCatalog
        do {
            catalog = try DefinitionCatalog.load(directory: workflows)
        } catch {
            throw ValidationError("the definitions in \(workflows) have errors; fix them first (approvals workflows validate \(workflows)):\n\(error)")
        }
        try await DatabaseSession.with(logger: logger) { db, _ in
            try await DatabaseSession.prepareSchema(db, migrationsFolder: database.migrationsFolder, apply: !noMigrate)
            let registry = try await WorkflowRegistry.register(catalog, in: db)
            let context = ServerContext(database: db, registry: registry, clock: SystemClock(), migrationsFolder: database.migrationsFolder)
            if demo, try await DemoData.seed(context) {
                logger.notice("demo data loaded; tokens: \(DemoData.users.map { "\($0.token) (\($0.user.role.rawValue))" }.joined(separator: ", "))")
            }
            let app = try buildApplication(context, host: host, port: port, logger: logger)
            logger.notice("serving on http://\(host):\(port) (API /v1, contract /openapi.yaml)")
            try await app.runService()
        }
    }
}
