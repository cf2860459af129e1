/// How long a department has recently taken to decide an item: the median and the 90th percentile of the
/// working days its decided items used (approved, rejected or deemed approved), over the last 12 months.
public struct DepartmentPace: Sendable, Hashable {
    public let median: Double
    public let p90: Double
    /// The decided items behind the figures.
    public let decided: Int

    public init(median: Double, p90: Double, decided: Int) {
        self.median = median
        self.p90 = p90
        self.decided = decided
    }
}

/// The forecast from history beside the legal one: each open item is expected to take its department's recent
/// working days rather than its legal limit, along the same dependency graph. An item whose department has too
/// little history counts at its legal limit. The expected path may pass the total limit long before the legal
/// forecast turns yellow (the legal one assumes every department stays within its limit).
public struct ExpectedForecast: Sendable, Hashable {
    /// Used days plus the longest remaining path at the departments' medians, and at their 90th percentiles.
    public let totalDays: Int
    public let totalDaysP90: Int
    /// The working day the last open item is expected to end, at the medians and at the 90th percentiles.
    public let completionDate: WorkdayResult<CivilDate>?
    public let completionDateP90: WorkdayResult<CivilDate>?
    /// The chain of open items that determines the expected date, prerequisites first.
    public let criticalPath: [String]
    /// The expected total (at the medians) passes the project's total limit.
    public let passesTotalLimit: Bool
    /// Open items counted at their legal limit for want of their department's history.
    public let itemsAtLegalLimit: [String]

    /// `paces` by department; `usedDays` the project's clock (ProjectView.usedDays).
    public init(project: Project, usedDays: Int, asOf today: CivilDate, calendar: WorkdayCalendar, paces: [String: DepartmentPace]) {
        var median: [String: Int] = [:]
        var p90: [String: Int] = [:]
        var atLimit: [String] = []
        let open = project.items.filter { !$0.state.hasEnded }
        for item in open {
            // An item's own days so far count against what its department usually takes; what is left cannot be
            // less than nothing.
            let used = [.accepted, .suspended].contains(item.state) ? item.usedDays(asOf: today, calendar: calendar) : 0
            guard let pace = paces[item.definition.department] else {
                atLimit.append(item.id)
                let left = max(0, item.limit - used)
                (median[item.id], p90[item.id]) = (left, left)
                continue
            }
            median[item.id] = max(0, Int(pace.median.rounded(.up)) - used)
            p90[item.id] = max(0, Int(pace.p90.rounded(.up)) - used)
        }
        let graph = project.workflow.dependencyGraph(of: open.map(\.id))
        let (path, critical) = graph.longestPath { median[$0] ?? 0 }
        let (pathP90, _) = graph.longestPath { p90[$0] ?? 0 }
        totalDays = usedDays + path
        totalDaysP90 = usedDays + pathP90
        // A path of recent days can exceed what the calendar covers, unlike a path of limits; no date is then shown.
        completionDate = open.isEmpty ? nil : try? calendar.deadline(adding: path, to: today)
        completionDateP90 = open.isEmpty ? nil : try? calendar.deadline(adding: pathP90, to: today)
        criticalPath = open.isEmpty ? [] : critical
        passesTotalLimit = !open.isEmpty && totalDays > project.workflow.totalLimit
        itemsAtLegalLimit = atLimit
    }
}
