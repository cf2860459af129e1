import ApprovalCore
import ApprovalServer
import ApprovalStore
import ArgumentParser
import Foundation

extension LeaderReportRendering.Kind: ExpressibleByArgument {}
extension LeaderReportRendering.Format: ExpressibleByArgument {}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Leaders' reports: overdue items, at-risk projects, department accountability, monthly throughput.",
        discussion: "CSV is UTF-8 with a byte-order mark, so Excel shows Chinese text correctly."
    )

    @Argument(help: "overdue, at-risk, departments or throughput.")
    var kind: LeaderReportRendering.Kind

    @Option(help: "Only projects in this region (a 6-digit division code); every region when omitted.")
    var region: String?

    @Option(help: "The day to count overdue spans to (\(CivilDate.acceptedForm)); today in the calendars' time zone when omitted.")
    var asOf: String?

    @Option(help: "For overdue: department, region, stage or agent.")
    var groupBy: String = "department"

    @Option(help: "table, csv or json.")
    var format: LeaderReportRendering.Format = .table

    @Option(help: "Directory holding departments.yaml, calendars/ and the workflow files.")
    var workflows: String = ProcessInfo.processInfo.environment["APPROVALS_WORKFLOWS"] ?? "Workflows"

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if let region, Jurisdiction(region) == nil { throw ValidationError("--region must be \(Jurisdiction.expectedForm), not '\(region)'") }
        if let asOf, CivilDate(input: asOf) == nil { throw ValidationError("--as-of must be a date (\(CivilDate.acceptedForm)), not '\(asOf)'") }
    }

    func run() async throws {
        try await database.withContext(workflows: workflows) { context in
            let day = asOf.flatMap(CivilDate.init(input:)) ?? context.today
            do {
                print(try await LeaderReportRendering.render(kind, context: context, region: region, asOf: day, groupBy: groupBy, format: format),
                      terminator: "")
            } catch let error as ReportRenderingError {
                throw ValidationError(error.message)
            }
        }
    }
}
