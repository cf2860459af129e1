/// What the deadline engine (超时默认) decides for one project on its visit as of a day: the timeouts due,
/// formal documents gone overdue, the agent's overdue follow-up, and warnings (电子监察) — each said once.
public struct DeadlineDecisions: Sendable {
    public enum Decision: Sendable {
        /// A limit passed while the clock ran: default approval, or escalation where silent approval is unsafe,
        /// dated the first day past the deadline. `before` is the item as it was; `leadDepartment` whom an
        /// escalation went to.
        case timeout(ItemAction, before: ProjectItem, on: CivilDate, leadDepartment: String?)
        /// A formal document owed after a default approval was not issued by its due date.
        case formalDocumentOverdue(FormalDocument)
        /// The agent's promised next step passed without a newer update.
        case followUpOverdue(ProgressUpdate, agent: Int64, nextStepOn: CivilDate)
        /// An item entered its yellow window.
        case itemWarning(ProjectView.Item)
        /// The project turned yellow or red, and why.
        case projectWarning(ProjectView, reason: String)
    }

    /// In the order they happened, which is the order of their audit events.
    public internal(set) var decisions: [Decision] = []
    /// Documents owed after this visit's default approvals, as they stand (overdue at once when the visit came late).
    public internal(set) var owed: [FormalDocument] = []
    /// Documents owed before this visit that it found overdue.
    public internal(set) var goneOverdue: [FormalDocument] = []
    /// The agent's update whose follow-up this visit found overdue, marked.
    public internal(set) var followUpMarked: ProgressUpdate?
    /// The warnings raised so far, this visit's included.
    public internal(set) var itemYellowRaised: [String]
    public internal(set) var warningRaised: WarningLevel

    init(itemYellowRaised: [String], warningRaised: WarningLevel) {
        self.itemYellowRaised = itemYellowRaised
        self.warningRaised = warningRaised
    }
}

extension Project {
    /// The deadline engine's visit as of `today`. `documents` (by item) and `lastProgress` are updated to how they
    /// stand afterwards, which is what the project's next visit is planned from; `itemYellowRaised` and
    /// `warningRaised` are the warnings already said, so none is said twice.
    public mutating func sweep(today: CivilDate, calendar: WorkdayCalendar, documents: inout [String: FormalDocument],
                               lastProgress: inout ProgressUpdate?, agentID: Int64?, itemYellowRaised: [String],
                               warningRaised: WarningLevel) throws(ItemTransitionError) -> DeadlineDecisions {
        var result = DeadlineDecisions(itemYellowRaised: itemYellowRaised, warningRaised: warningRaised)
        for due in dueTimeouts(asOf: today) {
            guard let before = item(due.itemID) else { continue }
            try perform(due.action, on: due.itemID, date: due.on, calendar: calendar)
            if case .escalate = due.action {
                result.decisions.append(.timeout(due.action, before: before, on: due.on, leadDepartment: workflow.leadDepartment(ofItem: due.itemID) ?? ""))
            } else {
                result.decisions.append(.timeout(due.action, before: before, on: due.on, leadDepartment: nil))
                // The department owes the formal approval document within 1 working day.
                let dueOn: CivilDate
                do {
                    dueOn = try calendar.deadline(adding: 1, to: due.on).value
                } catch {
                    throw .invalidRequest(item: due.itemID, action: "default-approve", problem: "no working day follows \(due.on)")
                }
                let owed = FormalDocument.owed(itemID: before.id, department: before.definition.department, defaultApprovedOn: due.on, dueOn: dueOn)
                result.owed.append(owed)
                documents[before.id] = owed
            }
        }
        // A formal document not issued by its due date is overdue: said once, and counted against the department.
        for document in documents.values.sorted(by: { $0.itemID < $1.itemID })
        where document.issuedOn == nil && document.overdueOn == nil && today > document.dueOn {
            let overdue = document.markedOverdue(on: today)
            if let owedNow = result.owed.lastIndex(where: { $0.itemID == document.itemID }) {
                result.owed[owedNow] = overdue
            } else {
                result.goneOverdue.append(overdue)
            }
            documents[document.itemID] = overdue
            result.decisions.append(.formalDocumentOverdue(document))
        }
        if let agentID, let update = lastProgress, let nextStepOn = update.nextStepOn, update.followUpOverdueOn == nil,
           update.followUpIsOverdue(asOf: today) {
            let marked = update.followUpMarkedOverdue(on: today)
            result.followUpMarked = marked
            lastProgress = marked
            result.decisions.append(.followUpOverdue(update, agent: agentID, nextStepOn: nextStepOn))
        }
        let view = ProjectView(project: self, asOf: today, calendar: calendar)
        // A running item out of its yellow window again had its deadline moved (a granted extension): its yellow is
        // said again when the new deadline nears.
        result.itemYellowRaised.removeAll { id in view.items.contains { $0.id == id && $0.state == .accepted && $0.warning == .none } }
        for item in view.items where item.warning == .yellow && !result.itemYellowRaised.contains(item.id) {
            result.itemYellowRaised.append(item.id)
            result.decisions.append(.itemWarning(item))
        }
        if view.warning > result.warningRaised {
            result.warningRaised = view.warning
            let reason = view.usedDays > view.totalLimit ? "used days over the total limit"
                : view.forecast.totalDays > view.totalLimit ? "forecast over the total limit" : "used days at or over the yellow share of the total limit"
            result.decisions.append(.projectWarning(view, reason: reason))
        }
        return result
    }
}
