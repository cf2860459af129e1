import ApprovalServer
import ApprovalStore
import ArgumentParser

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The tamper-evident audit trail.",
                                                    subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every project's event hash chain; report the first broken link of each project and exit 1 if any."
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = database.makeLogger()
            try await DatabaseSession.with(logger: logger) { db, _ in
                try await DatabaseSession.prepareSchema(db, migrationsFolder: database.migrationsFolder, apply: false)
                let report = try await AuditChain.verify(db)
                for link in report.broken { print("BROKEN  \(link)") }
                print("\(report.projects) projects, \(report.events) events checked: \(report.broken.isEmpty ? "every chain holds" : "\(report.broken.count) broken")")
                if !report.broken.isEmpty { throw ExitCode(1) }
            }
        }
    }
}
