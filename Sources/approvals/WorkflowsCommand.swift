import ApprovalCore
import ArgumentParser
import Foundation

struct WorkflowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows",
        abstract: "Check workflow definitions.",
        subcommands: [Validate.self]
    )

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every definition file in DIR; list every error as file:line:column and exit non-zero if any."
        )

        @Argument(help: "The definitions directory.")
        var directory: String = "Workflows"

        @Flag(name: .long, help: "Print JSON for scripts instead of text for people.")
        var json = false

        func run() throws {
            let catalog: DefinitionCatalog
            do {
                catalog = try DefinitionCatalog.load(directory: directory)
            } catch {
                if json {
                    try printJSON(["valid": false, "errors": error.issues.map {
                        ["file": $0.file, "line": $0.line, "column": $0.column, "message": $0.message] as [String: any Sendable]
                    }] as [String: any Sendable])
                } else {
                    var stderr = StandardError()
                    for issue in error.issues { print(issue, to: &stderr) }
                    print("\(error.issues.count) error\(error.issues.count == 1 ? "" : "s")", to: &stderr)
                }
                throw ExitCode.failure
            }
            if json {
                let workflows = catalog.workflows.values.sorted { $0.id < $1.id }.map {
                    ["id": $0.id, "version": "\($0.version)", "name": $0.name, "items": "\($0.items.count)"]
                }
                try printJSON(["valid": true, "workflows": workflows] as [String: any Sendable])
            } else {
                for workflow in catalog.workflows.values.sorted(by: { $0.id < $1.id }) {
                    print("ok  \(workflow.id) v\(workflow.version)  \(workflow.name): \(workflow.stages.count) stages, \(workflow.items.count) items, total limit \(workflow.totalLimit) working days")
                }
                for calendar in catalog.calendars.values.sorted(by: { $0.id < $1.id }) {
                    print("ok  calendar \(calendar.id)  \(calendar.name): covers \(calendar.coverage.lowerBound) to \(calendar.coverage.upperBound)")
                }
                print("ok  \(catalog.departments.count) departments")
                let required = catalog.workflows.values.flatMap(\.items).reduce(0) { $0 + $1.requirements.count }
                print("ok  \(catalog.materialKinds.count) material kinds, \(required) required materials")
            }
        }
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}

/// Prints JSON for scripts. Checked first: serialising something JSON cannot hold may trap rather than throw.
func printJSON(_ value: Any) throws {
    guard JSONSerialization.isValidJSONObject(value) else { throw JSONOutputError() }
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

struct JSONOutputError: Error, CustomStringConvertible {
    var description: String { "the result cannot be written as JSON; run without --json" }
}
