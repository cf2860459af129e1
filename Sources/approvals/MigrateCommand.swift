import ApprovalServer
import ApprovalStore
import ArgumentParser

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations (each in a transaction, under an advisory lock); refuse if the applied ones drifted."
    )

    @Flag(help: "Only report whether migrations are pending; change nothing.")
    var check = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = database.makeLogger()
        try await DatabaseSession.with(logger: logger) { db, _ in
            if check {
                let runner = MigrationRunner(migrations: try Migration.load(from: database.migrationsFolder), logger: logger)
                switch try await runner.status(db) {
                case .current: print("migrations: current")
                case let .ahead(files): print("migrations: current; the database also has newer ones, from a newer release: \(files.joined(separator: ", "))")
                case let .pending(files):
                    print("migrations pending: \(files.joined(separator: ", "))")
                    throw ExitCode(1)
                }
            } else {
                try await DatabaseSession.prepareSchema(db, migrationsFolder: database.migrationsFolder, apply: true)
            }
        }
    }
}
