import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import OpenAPIRuntime

/// The leaders' reports (issue 6), JSON or CSV, always within the caller's jurisdiction.
extension APIHandler {
    /// The scope of a report: the caller's jurisdiction, or a region inside it; and the day to count to.
    struct ReportScope {
        let prefix: String
        let region: String
        let asOf: CivilDate
    }

    func reportScope(region: String?, asOf: String?) throws -> ReportScope {
        let user = try currentUser()
        guard [.leader, .coordinator, .admin].contains(user.role) else {
            throw APIError.forbidden("reports are for leaders, coordinators and admins, not for a \(user.role.rawValue)")
        }
        let today = context.today
        let day = try asOf.map { try Self.date($0, field: "asOf") } ?? today
        guard let region else { return ReportScope(prefix: user.jurisdiction.prefix, region: user.region, asOf: day) }
        guard let asked = Jurisdiction(region) else { throw APIError.badRequest("'\(region)' is not a 6-digit division code", field: "region") }
        guard asked.prefix.hasPrefix(user.jurisdiction.prefix) else {
            throw APIError.forbidden("region \(region) is outside your jurisdiction \(user.region)")
        }
        return ReportScope(prefix: asked.prefix, region: region, asOf: day)
    }

    var reports: LeaderReportService { LeaderReportService(context: context) }

    func overdueReport(_ input: Operations.OverdueReport.Input) async throws -> Operations.OverdueReport.Output {
        let scope = try reportScope(region: input.query.region, asOf: input.query.asOf)
        let grouping = LeaderReportService.Grouping(rawValue: input.query.groupBy?.rawValue ?? "department")!
        let csv = input.query.format == .csv
        let limit = input.query.itemsPerGroup ?? 100
        let report = try await reports.overdue(regionPrefix: scope.prefix, region: scope.region, asOf: scope.asOf, groupBy: grouping,
                                               itemsPerGroup: csv ? nil : limit)
        return .ok(.init(body: csv ? .csv(HTTPBody(ReportTable(report).csv)) : .json(report)))
    }

    func atRiskReport(_ input: Operations.AtRiskReport.Input) async throws -> Operations.AtRiskReport.Output {
        let scope = try reportScope(region: input.query.region, asOf: input.query.asOf)
        let report = try await reports.atRisk(regionPrefix: scope.prefix, region: scope.region, asOf: scope.asOf)
        return .ok(.init(body: input.query.format == .csv ? .csv(HTTPBody(ReportTable(report).csv)) : .json(report)))
    }

    func departmentReport(_ input: Operations.DepartmentReport.Input) async throws -> Operations.DepartmentReport.Output {
        let scope = try reportScope(region: input.query.region, asOf: input.query.asOf)
        let report = try await reports.departments(regionPrefix: scope.prefix, region: scope.region, asOf: scope.asOf)
        return .ok(.init(body: input.query.format == .csv ? .csv(HTTPBody(ReportTable(report).csv)) : .json(report)))
    }

    func throughputReport(_ input: Operations.ThroughputReport.Input) async throws -> Operations.ThroughputReport.Output {
        let scope = try reportScope(region: input.query.region, asOf: input.query.asOf)
        let report = try await reports.throughput(regionPrefix: scope.prefix, region: scope.region, asOf: scope.asOf)
        return .ok(.init(body: input.query.format == .csv ? .csv(HTTPBody(ReportTable(report).csv)) : .json(report)))
    }
}
