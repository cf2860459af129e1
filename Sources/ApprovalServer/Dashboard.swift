import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import Hummingbird
import Mustache
import NIOCore

/// The leaders' dashboard (issue 6): server-rendered Chinese pages over the same reports as the API, usable
/// without JavaScript and printable. Sign-in takes an API token once and keeps a session id in an HttpOnly,
/// SameSite=Strict cookie (Secure when the public URL is https) that lasts as long as the token; leaders,
/// coordinators and admins only, each within their jurisdiction. The sign-in form carries a one-time value that
/// must match a cookie set with the form, so another site cannot sign a browser in under its own token (login
/// CSRF). Templates escape every value ({{…}}); the one raw value is the Gantt SVG, which escapes its own texts.
/// Styles come from one stylesheet, as the Content-Security-Policy allows nothing inline.
struct Dashboard {
    let context: ServerContext
    let site: PageSite
    let stylesheet: String
    let icon: String

    static let readers: Set<Role> = [.leader, .coordinator, .admin]

    /// The templates and the stylesheet shipped in the target's resources.
    init(context: ServerContext) throws {
        let (library, stylesheet) = try PageSite.templates()
        self.context = context
        site = PageSite(context: context, library: library, base: "/dashboard", readers: Self.readers, refusal: "领导、代办中心和管理员")
        self.stylesheet = stylesheet
        icon = try PageSite.resource("icon.svg")
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("/dashboard/style.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "max-age=3600"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: stylesheet)))
        }
        router.get("/dashboard/icon.svg") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "image/svg+xml"
            headers[.cacheControl] = "max-age=86400"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: icon)))
        }
        site.addSessionRoutes(to: router, home: "/dashboard")
        router.get("/dashboard") { request, _ in try await signedIn(request) { user in try await overview(user) } }
        for report in ["overdue", "at-risk", "departments"] {
            router.get("/dashboard/\(report)") { request, _ in
                try await signedIn(request) { user in try await reportPage(report, request: request, user: user, csv: false) }
            }
            router.get("/dashboard/\(report).csv") { request, _ in
                try await signedIn(request) { user in try await reportPage(report, request: request, user: user, csv: true) }
            }
        }
        router.get("/dashboard/projects/:code") { request, requestContext in
            try await signedIn(request) { user in try await projectPage(requestContext.parameters.get("code") ?? "", user: user) }
        }
    }

    private func signedIn(_ request: Request, _ render: (User) async throws -> Response) async throws -> Response {
        try await site.signedIn(request) { user, _ in try await render(user) }
    }

    private func page(_ template: String, _ values: [String: Any], user: User?, status: HTTPResponse.Status = .ok) -> Response {
        site.page(template, values, user: user, status: status)
    }

    // MARK: Pages

    private var reports: LeaderReportService { LeaderReportService(context: context) }
    private var today: CivilDate { context.today }

    /// The jurisdiction asked for in `region`, within the user's own.
    private func scope(_ request: Request, user: User) throws -> (prefix: String, region: String, filter: String) {
        let asked = PageSite.parameter(request, "region")
        guard let asked else { return (user.jurisdiction.prefix, user.region, "") }
        guard let jurisdiction = Jurisdiction(asked) else { throw APIError.badRequest("地区代码 '\(asked)' 不是 6 位行政区划代码", field: "region") }
        guard jurisdiction.prefix.hasPrefix(user.jurisdiction.prefix) else { throw APIError.forbidden("地区 \(asked) 不在您的管辖范围 \(user.region) 内") }
        return (jurisdiction.prefix, asked, asked)
    }

    private func overview(_ user: User) async throws -> Response {
        let prefix = user.jurisdiction.prefix
        let counts = try await context.readReplica.read {
            try await LeaderReports.openProjectCounts(regionPrefix: prefix, on: $0, logger: context.database.logger)
        }
        let overdue = try await reports.overdue(regionPrefix: prefix, region: user.region, asOf: today, groupBy: .department)
        let atRisk = try await reports.atRisk(regionPrefix: prefix, region: user.region, asOf: today)
        return page("overview", [
            "title": "总览", "region": user.region, "redProjects": counts.0, "yellowProjects": counts.1, "openProjects": counts.2,
            "overdueItems": overdue.total, "atRiskProjects": atRisk.projects.count,
            "topDepartments": overdue.groups.prefix(5).map { ["label": $0.label, "count": $0.count] },
        ], user: user)
    }

    private func reportPage(_ report: String, request: Request, user: User, csv: Bool) async throws -> Response {
        let (prefix, region, filter) = try scope(request, user: user)
        switch report {
        case "overdue":
            let asOf = try PageSite.parameter(request, "asOf").map { try APIHandler.date($0, field: "asOf") } ?? today
            let grouping = PageSite.parameter(request, "groupBy").flatMap(LeaderReportService.Grouping.init(rawValue:)) ?? .department
            let result = try await reports.overdue(regionPrefix: prefix, region: region, asOf: asOf, groupBy: grouping)
            if csv { return Self.csv(ReportTable(result), name: "overdue") }
            let names: [LeaderReportService.Grouping: String] = [.department: "部门", .region: "地区", .stage: "阶段", .agent: "代办员"]
            let groupings: [[String: Any]] = LeaderReportService.Grouping.allCases.map {
                ["value": $0.rawValue, "label": names[$0]!, "selected": $0 == grouping]
            }
            let groups: [[String: Any]] = result.groups.map { group in
                let items: [[String: Any]] = group.items.map { item in
                    ["project": item.project, "projectName": item.projectName, "itemName": item.itemName, "departmentName": item.departmentName,
                     "stage": item.stage, "deadline": item.deadline, "workingDaysOver": item.workingDaysOver,
                     "stateName": ReportTable.stateNames[item.state.rawValue] ?? item.state.rawValue, "agent": item.agent ?? ""]
                }
                return ["label": group.label, "count": group.count, "items": items]
            }
            return page("overdue", ["title": "超期事项", "region": region, "regionFilter": filter, "asOf": asOf.description, "total": result.total,
                                    "groupBy": grouping.rawValue, "groupings": groupings, "groups": groups], user: user)
        case "at-risk":
            let result = try await reports.atRisk(regionPrefix: prefix, region: region, asOf: today)
            if csv { return Self.csv(ReportTable(result), name: "at-risk") }
            return page("at-risk", [
                "title": "超时风险", "region": region, "regionFilter": filter,
                "projects": result.projects.map { project in
                    ["project": project.project, "projectName": project.projectName, "usedDays": project.usedDays, "totalLimit": project.totalLimit,
                     "forecastDays": project.forecastDays, "expectedDays": project.expectedDays.map(String.init) ?? "—",
                     "expectedPassesLimit": project.expectedPassesLimit, "path": project.criticalPath.joined(separator: " → "),
                     "warning": project.warning.rawValue, "warningName": PageSite.warningNames[project.warning.rawValue] ?? "", "agent": project.agent ?? ""] as [String: Any]
                },
            ], user: user)
        default:
            let table = ReportTable(try await reports.departments(regionPrefix: prefix, region: region, asOf: today))
            if csv { return Self.csv(table, name: "departments") }
            return page("departments", ["title": "部门效能", "region": region, "regionFilter": filter, "columns": table.columns,
                                        "rows": table.rows.map { ["cells": $0] }], user: user)
        }
    }

    private func projectPage(_ code: String, user: User) async throws -> Response {
        let logger = context.database.logger
        let found = try await context.database.read { connection -> (ProjectRecord, Project, User?)? in
            guard let record = try await ProjectRepository.find(code: code, on: connection, logger: logger) else { return nil }
            let project = try await ProjectRepository.load(record, registry: context.registry, on: connection, logger: logger)
            let agent = try await record.agentID.asyncFlatMap { try await UserRepository.find($0, on: connection, logger: logger) }
            return (record, project, agent)
        }
        guard let (record, project, agent) = found, Access.canSee(record, project, user: user) else {
            throw APIError.notFound("项目 \(code)")
        }
        let today = context.today
        let view = ProjectView(project: project, asOf: today, calendar: context.registry.calendar(for: project.workflow))
        await context.paces.refreshIfDue(context)
        let expected = context.expectedForecast(record, project, view: view)
        let departments = context.registry.catalog.departments
        return page("project", [
            "title": record.name, "name": record.name, "code": record.code, "workflowName": project.workflow.name, "region": record.region,
            "startedOn": record.startedOn.description, "agent": agent?.name ?? "未指派", "usedDays": view.usedDays, "totalLimit": view.totalLimit,
            "forecastDays": view.forecast.totalDays, "completionDate": view.forecast.completionDate?.value.description ?? "—",
            "expectedDays": expected.totalDays, "expectedDate": expected.completionDate?.value.description ?? "—",
            "expectedPasses": expected.passesTotalLimit,
            "warning": view.warning.rawValue, "warningName": PageSite.warningNames[view.warning.rawValue] ?? "",
            "gantt": GanttChart(project: project, view: view, today: today).svg,
            "items": view.items.filter { $0.state != .notApplicable }.map { item in
                ["name": item.name, "department": departments[item.department]?.name ?? item.department, "state": item.state.rawValue,
                 "limit": item.limit, "usedDays": item.usedDays, "deadline": item.deadline?.value.description ?? "",
                 "warning": item.warning.rawValue, "warningName": PageSite.warningNames[item.warning.rawValue] ?? ""] as [String: Any]
            },
        ], user: user)
    }


    // MARK: Responses

    static func csv(_ table: ReportTable, name: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(name).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: table.csv)))
    }
}

struct DashboardError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
