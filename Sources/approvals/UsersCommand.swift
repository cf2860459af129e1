import ApprovalCore
import ApprovalServer
import ApprovalStore
import ArgumentParser

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "Manage users.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user and print their bearer token (shown this once; only its SHA-256 digest is stored)."
        )

        @Option(help: "Display name.") var name: String
        @Option(help: "investor, agent, reviewer, coordinator, leader or admin.") var role: String
        @Option(help: "6-digit division code of the user's jurisdiction, e.g. 330300.") var region: String
        @Option(help: "Reviewers: their department id (departments.yaml).") var department: String?
        @Option(help: "Investors: their organisation (e.g. unified social credit code).") var organisation: String?
        @Option(help: "Phone number shown to investors (agents).") var phone: String?
        @Option(help: "Definitions directory, to check department ids.") var workflows: String = "Workflows"
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let newUser = NewUser(name: name, role: role, region: region, department: department, organisation: organisation, phone: phone)
            let catalog = try DefinitionCatalog.load(directory: workflows)
            let problems = newUser.problems(departments: catalog.departments)
            guard problems.isEmpty else {
                throw ValidationError(problems.map { "--\($0.field): \($0.detail)" }.joined(separator: "\n"))
            }
            let logger = database.makeLogger()
            try await DatabaseSession.with(logger: logger) { db, _ in
                try await DatabaseSession.prepareSchema(db, migrationsFolder: database.migrationsFolder, apply: true)
                let (user, token) = try await db.transaction { connection in
                    let user = try await UserRepository.create(newUser, on: connection, logger: logger)
                    return (user, try await UserRepository.issueToken(for: user.id, on: connection, logger: logger))
                }
                print("created user \(user.id) (\(user.role.rawValue), region \(user.region))")
                print("token (shown once): \(token.token)")
            }
        }
    }
}
