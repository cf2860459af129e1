import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import OpenAPIRuntime

/// The department window's queue (待办): what waits for it, and what waits on the applicant.
extension APIHandler {
    func getQueue(_ input: Operations.GetQueue.Input) async throws -> Operations.GetQueue.Output {
        let user = try currentUser()
        let departments = try Access.queueDepartments(asked: input.query.department, user: user,
                                                      known: Set(context.registry.catalog.departments.keys))
        let (prefix, region) = try queueRegion(input.query.region, user: user)
        let buckets = input.query.bucket.flatMap { DepartmentQueue.Bucket(rawValue: $0.rawValue) }.map { [$0] } ?? DepartmentQueue.Bucket.allCases
        let (limit, offset) = (input.query.limit ?? 50, input.query.offset ?? 0)
        let today = context.today
        // On the primary, not the read replica: a window acts on an entry and comes straight back to its queue,
        // which must not show the entry again.
        let (counts, entries) = try await database.read { connection in
            let counts = try await DepartmentQueue.counts(departments: departments, regionPrefix: prefix, on: connection, logger: context.logger)
            var entries: [DepartmentQueue.Entry] = []
            for bucket in buckets {
                entries += try await DepartmentQueue.entries(bucket, departments: departments, regionPrefix: prefix, limit: limit, offset: offset,
                                                             on: connection, logger: context.logger)
            }
            return (counts, entries)
        }
        let total = counts.values.reduce(into: [DepartmentQueue.Bucket: Int]()) { total, department in total.merge(department, uniquingKeysWith: +) }
        // Those who read every department see where the work waits, department by department.
        let byDepartment = departments != nil ? nil : counts.keys.sorted().map { department in
            Components.Schemas.Queue.ByDepartmentPayloadPayload(department: department,
                                                                  name: context.registry.catalog.departments[department]?.name ?? department,
                                                                  counts: Self.queueCounts(counts[department] ?? [:]))
        }
        let queue = Components.Schemas.Queue(
            asOf: today.description, region: region, department: departments?.first, counts: Self.queueCounts(total), byDepartment: byDepartment,
            entries: entries.map { entry(for: $0, today: today) })
        return .ok(.init(body: input.query.format == .csv ? .csv(HTTPBody(ReportTable(queue).csv)) : .json(queue)))
    }

    private static func queueCounts(_ counts: [DepartmentQueue.Bucket: Int]) -> Components.Schemas.QueueCounts {
        .init(toAccept: counts[.toAccept] ?? 0, toDecide: counts[.toDecide] ?? 0, extensionsToDecide: counts[.extensionsToDecide] ?? 0,
              formalDocumentsOwed: counts[.formalDocumentsOwed] ?? 0, commitmentsDue: counts[.commitmentsDue] ?? 0,
              waitingOnApplicant: counts[.waitingOnApplicant] ?? 0)
    }

    /// One row of the queue, with what the window works by: the item's name, the working days left and the warning.
    private func entry(for row: DepartmentQueue.Entry, today: CivilDate) -> Components.Schemas.QueueEntry {
        let workflow = context.registry.versions[row.workflowVersionID]
        var remaining: Int?, warning: Components.Schemas.WarningLevel?, overdue = false
        // Only a running clock has days left (a stopped one keeps its old deadline for display).
        if row.state == .accepted, let deadline = row.deadline, let workflow, let calendar = context.registry.catalog.calendars[row.calendarID] {
            let urgency = ProjectView.urgency(deadline: deadline, limit: row.limitDays, asOf: today, calendar: calendar, thresholds: workflow.warnings)
            remaining = urgency.remainingDays
            warning = .init(rawValue: urgency.warning.rawValue)
            overdue = today > deadline
        }
        if let due = row.dueOn { overdue = today > due }
        return .init(bucket: .init(rawValue: row.bucket.rawValue) ?? .toAccept, project: row.projectCode, projectName: row.projectName, projectRegion: row.projectRegion,
                     item: row.itemID, itemName: workflow?.item(row.itemID)?.name ?? row.itemID, department: row.department,
                     state: row.state.rawValue, since: row.since.description, deadline: row.deadline?.description, remainingDays: remaining,
                     warning: warning, dueOn: row.dueOn?.description, overdue: overdue, waitingFor: row.waitingFor)
    }

    /// The caller's jurisdiction, or a region inside it.
    private func queueRegion(_ region: String?, user: User) throws -> (prefix: String, region: String) {
        guard let region else { return (user.jurisdiction.prefix, user.region) }
        guard let asked = Jurisdiction(region) else { throw APIError.invalid(field: "region", "'\(region)' is not \(Jurisdiction.expectedForm)") }
        guard asked.prefix.hasPrefix(user.jurisdiction.prefix) else { throw APIError.forbidden("region \(region) is outside your jurisdiction \(user.region)") }
        return (asked.prefix, region)
    }
}

extension ReportTable {
    init(_ queue: Components.Schemas.Queue) {
        self.init(title: "待办（\(queue.region)，\(queue.asOf)）",
                  columns: ["类别", "项目代码", "项目名称", "事项", "部门", "状态", "起始日", "期限", "剩余工作日", "预警", "应完成日", "逾期", "暂停事由"],
                  rows: queue.entries.map { entry in
                      [entry.bucket.rawValue, entry.project, entry.projectName, entry.itemName, entry.department, entry.state, entry.since,
                       entry.deadline ?? "", entry.remainingDays.map(String.init) ?? "", entry.warning?.rawValue ?? "", entry.dueOn ?? "",
                       entry.overdue == true ? "是" : "", entry.waitingFor ?? ""]
                  })
    }
}
