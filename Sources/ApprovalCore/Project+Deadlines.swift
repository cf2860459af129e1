import Foundation

/// What the deadline engine (the sweeper) reads from a project: when it next needs attention, and what is due.
extension Project {
    /// One timed-out item and what its policy says to do, dated the first day past its deadline: a sweeper that
    /// runs late still records the default approval on the day the limit passed.
    public struct DueTimeout: Sendable, Hashable {
        public let itemID: String
        public let action: ItemAction
        public let on: CivilDate
    }

    /// The items whose deadline has passed by `now`, with the action their `on_timeout` policy calls for.
    public func dueTimeouts(at now: Date, in timeZone: TimeZone) -> [DueTimeout] {
        let today = CivilDate(instant: now, in: timeZone)
        return items.compactMap { item in
            guard let deadline = item.deadline?.value, let decision = item.timeoutDecision(asOf: today) else { return nil }
            let overdueFrom = CivilDate(dayNumber: deadline.dayNumber + 1)
            switch decision {
            case .defaultApprove: return DueTimeout(itemID: item.id, action: .defaultApprove(.timeout), on: overdueFrom)
            case .escalate: return DueTimeout(itemID: item.id, action: .escalate, on: overdueFrom)
            }
        }
    }

    /// The earliest instant at which some item's running clock passes its deadline (24:00 local of the deadline
    /// date), or nil when nothing can time out. Escalated items need no second visit.
    public func nextDeadline(in timeZone: TimeZone) -> Date? {
        items.compactMap { item -> Date? in
            guard item.state == .accepted, item.escalatedOn == nil, let deadline = item.deadline?.value else { return nil }
            return deadline.endOfDay(in: timeZone)
        }.min()
    }
}
