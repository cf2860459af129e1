import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation

/// The leaders' reports as the API, the CLI and the dashboard show them: the store's set-based figures with
/// the names a person reads (items, departments, stages) from the loaded definitions.
struct LeaderReportService {
    let context: ServerContext

    enum Grouping: String, CaseIterable { case department, region, stage, agent }

    /// With `itemsPerGroup`, each group lists its most overdue items up to that many; its count is all of them.
    func overdue(regionPrefix: String, region: String, asOf: CivilDate, groupBy: Grouping,
                 itemsPerGroup: Int? = nil) async throws -> Components.Schemas.OverdueReport {
        let rows = try await context.readReplica.read {
            try await LeaderReports.overdueItems(regionPrefix: regionPrefix, asOf: asOf, on: $0, logger: context.database.logger)
        }
        let items = rows.map { row in
            let workflow = context.registry.versions[row.workflowVersionID]
            return Components.Schemas.OverdueItem(
                project: row.projectCode, projectName: row.projectName, region: row.region, item: row.itemID,
                itemName: workflow?.item(row.itemID)?.name ?? row.itemID, department: row.department,
                departmentName: departmentName(row.department), stage: stageName(row.stageID, in: workflow),
                deadline: row.deadline.description, workingDaysOver: row.workingDaysOver, state: .init(rawValue: row.state.rawValue)!,
                agent: row.agentName)
        }
        let key: (Components.Schemas.OverdueItem) -> (key: String, label: String) = switch groupBy {
        case .department: { ($0.department, $0.departmentName) }
        case .region: { ($0.region, $0.region) }
        case .stage: { ($0.stage, $0.stage) }
        case .agent: { ($0.agent ?? "", $0.agent ?? "（未指派代办员）") }
        }
        var groups: [String: (label: String, items: [Components.Schemas.OverdueItem])] = [:]
        for item in items {
            let (groupKey, label) = key(item)
            groups[groupKey, default: (label, [])].items.append(item)
        }
        // The groups with the most overdue items first: whom to call.
        let ordered = groups.sorted { ($1.value.items.count, $0.key) < ($0.value.items.count, $1.key) }
        return .init(asOf: asOf.description, region: region, groupBy: groupBy.rawValue, total: items.count,
                     groups: ordered.map { .init(key: $0.key, label: $0.value.label, count: $0.value.items.count,
                                                 items: Array($0.value.items.prefix(itemsPerGroup ?? .max))) })
    }

    func atRisk(regionPrefix: String, region: String, asOf: CivilDate) async throws -> Components.Schemas.AtRiskReport {
        let rows = try await context.readReplica.read {
            try await LeaderReports.atRiskProjects(regionPrefix: regionPrefix, on: $0, logger: context.database.logger)
        }
        return .init(asOf: asOf.description, region: region, projects: rows.map { row in
            let workflow = context.registry.versions[row.workflowVersionID]
            return .init(project: row.projectCode, projectName: row.projectName, region: row.region, usedDays: row.usedDays,
                         totalLimit: row.totalLimit, forecastDays: row.forecastDays, expectedDays: row.expectedDays,
                         expectedPassesLimit: (row.expectedDays ?? 0) > row.totalLimit,
                         criticalPath: row.criticalPath.map { workflow?.item($0)?.name ?? $0 },
                         warning: ProjectStatusMapper.warning(WarningLevel(rawValue: row.warning) ?? .none), agent: row.agentName, figuresAsOf: row.figuresAsOf?.description)
        })
    }

    func departments(regionPrefix: String, region: String, asOf: CivilDate) async throws -> Components.Schemas.DepartmentReport {
        let rows = try await context.readReplica.read {
            try await LeaderReports.departments(regionPrefix: regionPrefix, on: $0, logger: context.database.logger)
        }
        return .init(asOf: asOf.description, region: region, departments: rows.map { row in
            .init(department: row.department, name: departmentName(row.department), decided: row.decided, medianUsedDays: row.medianUsedDays,
                  p90UsedDays: row.p90UsedDays, medianLimitDays: row.medianLimitDays, onTimeRate: row.onTimeRate,
                  defaultApprovalsTimeout: row.defaultApprovalsTimeout, defaultApprovalsAbsence: row.defaultApprovalsAbsence,
                  repeatSupplementRequests: row.repeatSupplementRequests, overdueFormalDocuments: row.overdueFormalDocuments,
                  openEscalations: row.openEscalations, extensions: row.extensions, extensionDays: row.extensionDays)
        })
    }

    func throughput(regionPrefix: String, region: String, asOf: CivilDate) async throws -> Components.Schemas.ThroughputReport {
        let rows = try await context.readReplica.read {
            try await LeaderReports.throughput(regionPrefix: regionPrefix, on: $0, logger: context.database.logger)
        }
        return .init(asOf: asOf.description, region: region, months: rows.map {
            .init(month: $0.month, started: $0.started, completed: $0.completed, medianTotalDays: $0.medianTotalDays,
                  medianTotalLimit: $0.medianTotalLimit)
        })
    }

    func departmentName(_ id: String) -> String { context.registry.catalog.departments[id]?.name ?? id }

    func stageName(_ id: String, in workflow: WorkflowDefinition?) -> String {
        workflow?.stages.first { $0.id == id }?.name ?? id
    }
}

/// A report as rows of text under Chinese headings: for CSV downloads, the CLI's table and the dashboard.
struct ReportTable: Sendable {
    let title: String
    let columns: [String]
    let rows: [[String]]

    /// RFC 4180 with CRLF, led by a UTF-8 byte-order mark so Excel opens Chinese text correctly.
    var csv: String {
        func field(_ text: String) -> String {
            let text = Self.inert(text)
            return text.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        return "\u{FEFF}" + ([columns] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A cell a spreadsheet will not run as a formula (OWASP's CSV injection advice): text an investor or anyone
    /// else typed (a project's name) that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is led by an
    /// apostrophe. Numbers, negative ones included, stay numbers.
    static func inert(_ text: String) -> String {
        guard let first = text.first, "=+-@\t\r".contains(first), Double(text) == nil else { return text }
        return "'" + text
    }

    /// Aligned columns for a terminal, counting CJK characters as two cells wide.
    var text: String {
        func width(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 ? 2 : 1) } }
        let widths = columns.indices.map { column in ([columns] + rows).map { width($0[column]) }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - width($0)) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return ([title, line(columns)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.0f%%", $0 * 100) } ?? "" }

    static let stateNames = ["open": "未办结", "default_approved": "超时默认", "escalated": "已提级督办"]

    init(title: String, columns: [String], rows: [[String]]) {
        self.title = title
        self.columns = columns
        self.rows = rows
    }

    init(_ report: Components.Schemas.OverdueReport) {
        self.init(title: "超期事项（截至 \(report.asOf)，\(report.region)）",
                  columns: ["分组", "项目代码", "项目名称", "事项", "部门", "阶段", "期限", "超期工作日", "状态", "代办员"],
                  rows: report.groups.flatMap { group in
                      group.items.map { item in
                          [group.label, item.project, item.projectName, item.itemName, item.departmentName, item.stage, item.deadline,
                           String(item.workingDaysOver), Self.stateNames[item.state.rawValue] ?? item.state.rawValue, item.agent ?? ""]
                      }
                  })
    }

    init(_ report: Components.Schemas.AtRiskReport) {
        self.init(title: "超时风险项目（\(report.region)）",
                  columns: ["项目代码", "项目名称", "已用工作日", "总时限", "预测工作日", "按历史预计工作日", "关键路径", "预警", "代办员", "数据日期"],
                  rows: report.projects.map { project in
                      [project.project, project.projectName, String(project.usedDays), String(project.totalLimit), String(project.forecastDays),
                       project.expectedDays.map(String.init) ?? "",
                       project.criticalPath.joined(separator: " → "), project.warning.rawValue, project.agent ?? "", project.figuresAsOf ?? ""]
                  })
    }

    init(_ report: Components.Schemas.DepartmentReport) {
        self.init(title: "部门效能（\(report.region)）",
                  columns: ["部门", "已办结", "用时中位数", "用时P90", "时限中位数", "按时率", "超时默认", "缺席默认", "重复补正", "批文逾期", "未结提级",
                            "延期", "延期天数"],
                  rows: report.departments.map { row in
                      [row.name, String(row.decided), Self.number(row.medianUsedDays), Self.number(row.p90UsedDays),
                       Self.number(row.medianLimitDays), Self.percent(row.onTimeRate), String(row.defaultApprovalsTimeout),
                       String(row.defaultApprovalsAbsence), String(row.repeatSupplementRequests), String(row.overdueFormalDocuments),
                       String(row.openEscalations), String(row.extensions), String(row.extensionDays)]
                  })
    }

    init(_ report: Components.Schemas.ThroughputReport) {
        self.init(title: "月度办理量（\(report.region)）",
                  columns: ["月份", "开工项目", "办结项目", "办结用时中位数", "总时限中位数"],
                  rows: report.months.map { month in
                      [month.month, String(month.started), String(month.completed), Self.number(month.medianTotalDays),
                       Self.number(month.medianTotalLimit)]
                  })
    }
}

/// The reports for `approvals report`: the same figures and tables as the API's.
public enum LeaderReportRendering {
    public enum Kind: String, CaseIterable, Sendable { case overdue, atRisk = "at-risk", departments, throughput }
    public enum Format: String, CaseIterable, Sendable { case table, csv, json }

    /// `region` nil means every region (the operator's view).
    public static func render(_ kind: Kind, context: ServerContext, region: String?, asOf: CivilDate, groupBy: String,
                              format: Format) async throws -> String {
        let service = LeaderReportService(context: context)
        let prefix = region.flatMap(Jurisdiction.init)?.prefix ?? ""
        let label = region ?? "全部地区"
        func output<Report: Encodable>(_ report: Report, _ table: ReportTable) throws -> String {
            switch format {
            case .table: return table.text
            case .csv: return table.csv
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
            }
        }
        switch kind {
        case .overdue:
            guard let grouping = LeaderReportService.Grouping(rawValue: groupBy) else {
                throw ReportRenderingError(message: "--group-by must be one of \(LeaderReportService.Grouping.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let report = try await service.overdue(regionPrefix: prefix, region: label, asOf: asOf, groupBy: grouping)
            return try output(report, ReportTable(report))
        case .atRisk:
            let report = try await service.atRisk(regionPrefix: prefix, region: label, asOf: asOf)
            return try output(report, ReportTable(report))
        case .departments:
            let report = try await service.departments(regionPrefix: prefix, region: label, asOf: asOf)
            return try output(report, ReportTable(report))
        case .throughput:
            let report = try await service.throughput(regionPrefix: prefix, region: label, asOf: asOf)
            return try output(report, ReportTable(report))
        }
    }
}

public struct ReportRenderingError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
