import ApprovalCore
import ApprovalServer
import ApprovalStore
import ArgumentParser
import Foundation
import Logging

/// Options of every command that opens the database. The database itself comes from DATABASE_URL, or is the
/// private cluster in ./.postgres when it is unset.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Folder of the NNNN_name.sql migrations.")
    var migrations: String = ProcessInfo.processInfo.environment["APPROVALS_MIGRATIONS"] ?? "Migrations"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    var migrationsFolder: URL { URL(filePath: migrations) }

    func makeLogger() -> Logger {
        var logger = Logger(label: "approvals")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

/// Webhook delivery settings, shared by `serve` and `sweeper`.
struct WebhookOptions: ParsableArguments {
    @Option(help: "Attempts before a webhook delivery is dead-lettered (retries back off from 30 s, doubling, to 6 h).")
    var webhookMaxAttempts: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_WEBHOOK_MAX_ATTEMPTS"] ?? "") ?? 8

    @Option(help: "Seconds between webhook delivery rounds; 0 delivers none from this process.")
    var webhookInterval: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_WEBHOOK_INTERVAL"] ?? "") ?? 5

    func validate() throws {
        guard (1...100).contains(webhookMaxAttempts) else { throw ValidationError("--webhook-max-attempts must be 1 to 100, not \(webhookMaxAttempts)") }
        guard (0...ServeCommand.maximumIntervalSeconds).contains(webhookInterval) else {
            throw ValidationError("--webhook-interval must be 0 to \(ServeCommand.maximumIntervalSeconds) seconds, not \(webhookInterval)")
        }
    }

    /// Where webhooks may go: never inside this network unless `APPROVALS_WEBHOOK_ALLOW` names the host or network
    /// (comma-separated host names and CIDRs); over https unless allowed, or in development.
    func egress(development: Bool) throws -> WebhookEgress {
        do {
            return try WebhookEgress(allow: ProcessInfo.processInfo.environment["APPROVALS_WEBHOOK_ALLOW"], development: development)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func policy(development: Bool) throws -> WebhookPolicy {
        WebhookPolicy(maxAttempts: webhookMaxAttempts, egress: try egress(development: development))
    }
    var interval: Duration? { webhookInterval > 0 ? .seconds(webhookInterval) : nil }
}

/// Retention of stored idempotent answers and notifications: pruned by whichever process sweeps.
struct RetentionOptions: ParsableArguments {
    @Option(help: "Days a stored idempotent answer is kept (a retry with the same Idempotency-Key after that is a new request).")
    var idempotencyRetentionDays: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_IDEMPOTENCY_RETENTION_DAYS"] ?? "") ?? 7

    @Option(help: "Days a notification is kept once its webhook deliveries are settled.")
    var notificationRetentionDays: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_NOTIFICATION_RETENTION_DAYS"] ?? "") ?? 365

    func validate() throws {
        guard (1...3660).contains(idempotencyRetentionDays) else {
            throw ValidationError("--idempotency-retention-days must be 1 to 3660, not \(idempotencyRetentionDays)")
        }
        guard (1...3660).contains(notificationRetentionDays) else {
            throw ValidationError("--notification-retention-days must be 1 to 3660, not \(notificationRetentionDays)")
        }
    }

    var retention: ServerSettings.Retention {
        .init(idempotencyKeys: .seconds(idempotencyRetentionDays * 86_400), notifications: .seconds(notificationRetentionDays * 86_400))
    }
}

/// Where materials are kept and how large they may be: `serve` takes uploads by them, and `sweeper` must know the
/// directory too, to remove the files of contents it collects.
struct MaterialOptions: ParsableArguments {
    @Option(help: "Keep uploaded materials as files in this directory (a NAS mount) instead of in PostgreSQL.")
    var materialDirectory: String? = ProcessInfo.processInfo.environment["APPROVALS_MATERIAL_DIRECTORY"]

    @Option(help: "The largest material file accepted, in MB.")
    var materialMaxMB: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_MATERIAL_MAX_MB"] ?? "") ?? 50

    @Option(help: "What one organisation's material library may hold, in MB.")
    var materialQuotaMB: Int = Int(ProcessInfo.processInfo.environment["APPROVALS_MATERIAL_QUOTA_MB"] ?? "") ?? 2048

    func validate() throws {
        guard (1...1024).contains(materialMaxMB) else { throw ValidationError("--material-max-mb must be 1 to 1024, not \(materialMaxMB)") }
        guard (1...1_048_576).contains(materialQuotaMB) else { throw ValidationError("--material-quota-mb must be 1 to 1048576, not \(materialQuotaMB)") }
    }

    func settings() throws -> ServerSettings.MaterialSettings {
        ServerSettings.MaterialSettings(directory: try materialDirectory.map { try DirectoryContentStore(root: URL(filePath: $0)) },
                                        maximumFileBytes: materialMaxMB << 20, organisationQuotaBytes: materialQuotaMB << 20)
    }
}

extension DatabaseOptions {
    /// For the commands that work on a running deployment's database (`sweeper`, `report`): the schema must
    /// already be current (they never migrate), the definitions are registered, and `body` gets the shared context.
    /// A batch command whose workers outnumber the pool's connections waits as long as it takes (`connectionWait`).
    func withContext(workflows: String, settings: ServerSettings = ServerSettings(), connectionWait: Duration = .seconds(5),
                     _ body: (ServerContext) async throws -> Void) async throws {
        let catalog = try DefinitionCatalog.load(directory: workflows)
        try await DatabaseSession.with(logger: makeLogger(), connectionWait: connectionWait) { db, _ in
            try await DatabaseSession.prepareSchema(db, migrationsFolder: migrationsFolder, apply: false)
            let registry = try await WorkflowRegistry.register(catalog, in: db)
            try await body(ServerContext(database: db, registry: registry, clock: SystemClock(), migrationsFolder: migrationsFolder,
                                         settings: settings))
        }
    }
}
