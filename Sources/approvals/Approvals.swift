import ApprovalCore
import ArgumentParser

@main
struct Approvals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "Approval workflow server for investment construction projects (工程建设项目审批).",
        subcommands: [ServeCommand.self, SweeperCommand.self, MigrateCommand.self, UsersCommand.self, AuditCommand.self, WorkflowsCommand.self, CalendarCommand.self, ReportCommand.self, SeedCommand.self]
    )
}

/// Options shared by commands that read the definitions directory.
struct DefinitionsOptions: ParsableArguments {
    @Option(name: .long, help: "Directory holding departments.yaml, calendars/ and the workflow files.")
    var workflows: String = "Workflows"

    @Flag(name: .long, help: "Print JSON for scripts instead of text for people.")
    var json = false
}
