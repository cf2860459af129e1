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

    /// The items whose deadline has passed by `today`, with the action their `on_timeout` policy calls for.
    public func dueTimeouts(asOf today: CivilDate) -> [DueTimeout] {
        // By index rather than by element: a closure over the elements copies each (large) item.
        var due: [DueTimeout] = []
        for index in items.indices where items[index].state == .accepted {  // only a running clock times out
            guard let deadline = items[index].deadline?.value, let decision = items[index].timeoutDecision(asOf: today) else { continue }
            let overdueFrom = CivilDate(dayNumber: deadline.dayNumber + 1)
            switch decision {
            case .defaultApprove: due.append(DueTimeout(itemID: items[index].id, action: .defaultApprove(.timeout), on: overdueFrom))
            case .escalate: due.append(DueTimeout(itemID: items[index].id, action: .escalate, on: overdueFrom))
            }
        }
        return due
    }

    /// When the sweeper must next look at the project; nil for never (until a person changes it). Deadlines
    /// pass, and item and project warnings change, only at midnight while some clock runs; a formal document still
    /// owed can go overdue at midnight too; and so can the project's agent's promised next step (`nextStep`, from
    /// the newest progress update, `ProgressUpdate.pendingNextStep`), the night after its date.
    public func nextSweep(after today: CivilDate, in timeZone: TimeZone, documents: some Collection<FormalDocument>,
                          nextStep: CivilDate?) -> Date? {
        let clockRuns = items.contains { $0.state == .accepted }
        let documentOwed = documents.contains { $0.issuedOn == nil && $0.overdueOn == nil }
        let followUp = nextStep.map { max($0, today).endOfDay(in: timeZone) }
        return [clockRuns || documentOwed ? today.endOfDay(in: timeZone) : nil, followUp].compactMap { $0 }.min()
    }
}
