/// What an investor, an agent or a leader sees of a project on a given day: every item's state and clock,
/// stage progress, the project clock against the total limit, the forecast with its critical path, warnings.
public struct ProjectView: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public let id: String
        public let name: String
        public let department: String
        public let stageID: String
        public let state: ItemState
        public let limit: Int
        public let usedDays: Int
        /// Working days left for an open item: until the deadline when running, of the limit otherwise.
        /// Negative when overdue; nil for ended items.
        public let remainingDays: Int?
        public let deadline: WorkdayResult<CivilDate>?
        public let isOverdue: Bool
        public let warning: WarningLevel
        public let defaultApprovalReason: DefaultApprovalReason?
        public let exemptionSource: String?
        public let escalatedOn: CivilDate?
        public let repeatSupplementRequests: Int
        public let commitmentBroken: Bool
    }

    public enum StageStatus: String, Sendable, Hashable {
        case notStarted = "not_started"
        case inProgress = "in_progress"
        case completed
    }

    public struct Stage: Sendable, Hashable {
        public let id: String
        public let name: String
        public let leadDepartment: String
        public let limit: Int
        /// Union of the stage's items' running days.
        public let usedDays: Int
        public let applicableItems: Int
        public let endedItems: Int
        public let status: StageStatus
    }

    public struct Forecast: Sendable, Hashable {
        /// Used days plus the longest remaining path; never below used days.
        public let totalDays: Int
        /// The chain of open items that determines the forecast, prerequisites first.
        public let criticalPath: [String]
        /// The working day the last open item is expected to end; nil when nothing is open.
        public let completionDate: WorkdayResult<CivilDate>?
    }

    public let asOf: CivilDate
    public let items: [Item]
    public let stages: [Stage]
    public let usedDays: Int
    public let totalLimit: Int
    public let forecast: Forecast
    public let warning: WarningLevel
    /// The stage the project is in: the first stage with an open item.
    public let currentStageID: String?
    /// Some figure depends on dates outside the calendar's coverage.
    public let isProvisional: Bool

    public init(project: Project, asOf today: CivilDate, calendar: WorkdayCalendar) {
        let workflow = project.workflow
        let thresholds = workflow.warnings
        asOf = today
        totalLimit = workflow.totalLimit

        var views: [Item] = []
        var remainingByItem: [String: Int] = [:]
        for item in project.items {
            let used = item.usedDays(asOf: today, calendar: calendar)
            var remaining: Int?
            if !item.state.hasEnded {
                let left: Int
                if item.state == .accepted, let deadline = item.deadline {
                    left = calendar.workingDays(from: today, to: deadline.value).value
                } else {
                    left = item.limit - used
                }
                remaining = left
                remainingByItem[item.id] = max(0, left)
            }
            let overdue = item.isOverdue(asOf: today)
            var warning = WarningLevel.none
            if item.state == .accepted, let deadline = item.deadline {
                warning = Self.urgency(deadline: deadline.value, limit: item.limit, asOf: today, calendar: calendar, thresholds: thresholds).warning
            }
            views.append(Item(id: item.id, name: item.definition.name, department: item.definition.department,
                              stageID: item.definition.stageID, state: item.state, limit: item.limit,
                              usedDays: used, remainingDays: remaining, deadline: item.deadline, isOverdue: overdue,
                              warning: warning, defaultApprovalReason: item.defaultApprovalReason,
                              exemptionSource: item.exemptionSource, escalatedOn: item.escalatedOn,
                              repeatSupplementRequests: item.repeatSupplementRequests,
                              commitmentBroken: item.commitment?.isBroken(asOf: today) ?? false))
        }
        items = views

        stages = workflow.stages.map { stage in
            let stageItems = project.items.filter { $0.definition.stageID == stage.id }
            let applicable = stageItems.filter { $0.state != .notApplicable && $0.state != .exempted }
            let ended = applicable.filter(\.state.hasEnded)
            let started = applicable.contains { ![.blocked, .ready].contains($0.state) }
            let status: StageStatus = ended.count == applicable.count ? .completed : started ? .inProgress : .notStarted
            return Stage(id: stage.id, name: stage.name, leadDepartment: stage.leadDepartment, limit: stage.limit,
                         usedDays: ProjectClock.usedDays(stageItems.flatMap { $0.runningIntervals(asOf: today) }, calendar: calendar),
                         applicableItems: applicable.count, endedItems: ended.count, status: status)
        }
        currentStageID = workflow.stages.first { stage in
            project.items.contains { $0.definition.stageID == stage.id && !$0.state.hasEnded }
        }?.id

        let intervals = project.items.flatMap { $0.runningIntervals(asOf: today) }
        usedDays = ProjectClock.usedDays(intervals, calendar: calendar)

        let openIDs = project.items.filter { !$0.state.hasEnded }.map(\.id)
        let (remainingPath, path) = workflow.dependencyGraph(of: openIDs).longestPath { remainingByItem[$0] ?? 0 }
        // The remaining path is at most the total limit (validation holds every chain of limits to it, and limits
        // to what the calendar adds), so the calendar always answers; were it ever to refuse, no date is shown.
        let completion = openIDs.isEmpty ? nil : (try? calendar.deadline(adding: remainingPath, to: today))
        forecast = Forecast(totalDays: usedDays + remainingPath, criticalPath: openIDs.isEmpty ? [] : path,
                            completionDate: completion)

        if usedDays > totalLimit {
            warning = .red
        } else if Double(usedDays) >= thresholds.projectYellowFraction * Double(totalLimit) || forecast.totalDays > totalLimit {
            warning = .yellow
        } else {
            warning = .none
        }
        isProvisional = !calendar.isCovered(today) || (completion?.isProvisional ?? false)
            || project.items.contains { !$0.state.hasEnded && ($0.deadline?.isProvisional ?? false) }
    }
}

extension ProjectView {
    /// How urgent an item whose clock runs is: the working days left to the end of its deadline (negative once
    /// past) and its warning — red once the deadline has passed, yellow within the workflow's yellow window.
    public static func urgency(deadline: CivilDate, limit: Int, asOf today: CivilDate, calendar: WorkdayCalendar,
                               thresholds: WarningThresholds) -> (remainingDays: Int, warning: WarningLevel) {
        guard today <= deadline else { return (-calendar.workingDays(from: deadline, to: today).value, .red) }
        let remaining = calendar.workingDays(from: today, to: deadline).value
        return (remaining, remaining <= thresholds.itemYellowDays(limit: limit) ? .yellow : .none)
    }
}
