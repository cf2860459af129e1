/// The minutes of a joint review meeting (联审联办会, 联合验收, 联合踏勘): who attended, and the decision dates the
/// attending departments promised.
public struct MeetingMinutes: Sendable, Hashable {
    public enum Attendance: String, Sendable, Hashable { case attended, leave, absent }

    /// A department's promise to decide an item within so many working days of the meeting.
    public struct Promise: Sendable, Hashable {
        public let item: String
        public let days: Int

        public init(item: String, days: Int) {
            self.item = item
            self.days = days
        }
    }

    public struct Entry: Sendable, Hashable {
        public let department: String
        public let attendance: Attendance
        public let promises: [Promise]

        public init(department: String, attendance: Attendance, promises: [Promise]) {
            self.department = department
            self.attendance = attendance
            self.promises = promises
        }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// A problem with the minutes or the invitations, naming the request field.
    public typealias Problem = FieldProblem

    /// What closing the meeting decided for one item.
    public enum Decision: Sendable {
        /// An item action the minutes caused, and the item as it was before: 缺席默认 (absent, deemed to approve) or a
        /// promised decision date.
        case itemAction(ItemAction, before: ProjectItem, promisedDays: Int?)
        /// The department was absent, but silent approval is unsafe for the item: it goes to the lead department
        /// and leaders instead.
        case absenceEscalated(item: String, department: String, leadDepartment: String)
    }

    /// Why the minutes cannot close the meeting.
    public enum Refusal: Error, Sendable {
        case invalid([Problem])
        case refused(ItemTransitionError)
        /// The meeting's minutes were recorded already.
        case closed(on: CivilDate)
    }

    /// Minutes are recorded once, from the day of the meeting on.
    public static func checkMayRecord(closedOn: CivilDate?, scheduledOn: CivilDate, today: CivilDate) throws(Refusal) {
        if let closedOn { throw .closed(on: closedOn) }
        guard today >= scheduledOn else {
            throw .invalid([Problem(field: "meetingId", detail: "the meeting is scheduled for \(scheduledOn); its minutes cannot be recorded before")])
        }
    }

    /// Every problem with the minutes against the invitations, all at once: a department not invited, an invited
    /// one not accounted for, a promise on an item the department does not decide there.
    public func problems(invitations: [String: [String]]) -> [Problem] {
        var problems: [Problem] = []
        let given = Set(entries.map(\.department))
        for (index, entry) in entries.enumerated() where invitations[entry.department] == nil {
            problems.append(Problem(field: "attendance[\(index)].department", detail: "\(entry.department) was not invited"))
        }
        for department in invitations.keys.sorted() where !given.contains(department) {
            problems.append(Problem(field: "attendance", detail: "the minutes must say whether \(department) attended"))
        }
        for (index, entry) in entries.enumerated() {
            for (promiseIndex, promise) in entry.promises.enumerated() where !(invitations[entry.department] ?? []).contains(promise.item) {
                problems.append(Problem(field: "attendance[\(index)].promisedDays[\(promiseIndex)].item",
                                        detail: "\(promise.item) is not among the items \(entry.department) decides at this meeting"))
            }
        }
        return problems
    }
}

extension Project {
    /// Applies a meeting's minutes on `today`, checked first so that nothing changes when they are wrong. An
    /// absent department's open items are deemed approved (缺席默认) when submitted or accepted, unless their policy
    /// is to escalate; a date an attending department promised becomes the item's deadline when earlier. Decisions
    /// come department by department, in the invitations' item order.
    public mutating func close(meeting invitations: [String: [String]], minutes: MeetingMinutes, today: CivilDate,
                               calendar: WorkdayCalendar) throws(MeetingMinutes.Refusal) -> [MeetingMinutes.Decision] {
        let problems = minutes.problems(invitations: invitations)
        guard problems.isEmpty else { throw .invalid(problems) }
        let given = Dictionary(minutes.entries.map { ($0.department, $0) }, uniquingKeysWith: { first, _ in first })
        var decisions: [MeetingMinutes.Decision] = []
        // Decided on a copy, kept only when every item's decision holds: a refusal leaves the project as it was.
        var closed = self
        do throws(ItemTransitionError) {
            for (department, itemIDs) in invitations.sorted(by: { $0.key < $1.key }) {
                guard let entry = given[department] else { continue }
                for itemID in itemIDs {
                    guard let item = closed.item(itemID), !item.state.hasEnded else { continue }
                    switch entry.attendance {
                    case .absent where item.definition.onTimeout == .escalate:
                        decisions.append(.absenceEscalated(item: itemID, department: department,
                                                           leadDepartment: workflow.leadDepartment(ofItem: itemID) ?? ""))
                    case .absent where [.submitted, .accepted].contains(item.state):
                        try closed.perform(.defaultApprove(.absence), on: itemID, date: today, calendar: calendar)
                        decisions.append(.itemAction(.defaultApprove(.absence), before: item, promisedDays: nil))
                    case .attended:
                        guard let promise = entry.promises.first(where: { $0.item == itemID }), [.accepted, .suspended].contains(item.state) else { break }
                        let by: CivilDate
                        do {
                            by = try calendar.deadline(adding: promise.days, to: today).value
                        } catch {
                            throw ItemTransitionError.invalidRequest(item: itemID, action: "record a promised decision date for",
                                                                     problem: "\(promise.days) is not a number of working days a calendar adds")
                        }
                        try closed.perform(.promiseDecision(by: by), on: itemID, date: today, calendar: calendar)
                        decisions.append(.itemAction(.promiseDecision(by: by), before: item, promisedDays: promise.days))
                    default:
                        break
                    }
                }
            }
        } catch {
            throw .refused(error)
        }
        self = closed
        return decisions
    }
}

extension Project {
    /// 联审联办: a meeting of `stageID` on `date` (from today on; nil when the request's `written` date is not one),
    /// to which each department is invited once, to decide open items of that stage that are its own. Every
    /// problem with the invitations is reported at once; answers the meeting's date.
    public func scheduleMeeting(stage stageID: String, on date: CivilDate?, as written: String, invitations: [(department: String, items: [String])],
                                today: CivilDate, notice: Int = 0, calendar: WorkdayCalendar? = nil) throws(MeetingMinutes.Refusal) -> CivilDate {
        guard let stage = workflow.stages.first(where: { $0.id == stageID }) else {
            throw .invalid([.init(field: "stage", detail: "workflow '\(workflow.id)' has no stage '\(stageID)'; stages: \(workflow.stages.map(\.id).joined(separator: ", "))")])
        }
        guard let date, date >= today else {
            throw .invalid([.init(field: "scheduledOn", detail: "'\(written)' is not a date (\(CivilDate.acceptedForm)) from today (\(today)) on")])
        }
        // The departments are told ahead: a meeting called for today could be closed at once, its absentees deemed
        // to consent before they heard of it.
        if notice > 0 {
            guard let calendar, let earliest = try? calendar.deadline(adding: notice, to: today).value else {
                throw .invalid([.init(field: "scheduledOn", detail: "the meeting's notice of \(notice) working days cannot be counted")])
            }
            if date < earliest {
                throw .invalid([.init(field: "scheduledOn", detail: "a meeting is called at least \(notice) working day\(notice == 1 ? "" : "s") ahead, so the invited departments hear of it: \(earliest) at the earliest")])
            }
        }
        var problems: [MeetingMinutes.Problem] = []
        var seen: Set<String> = []
        for (index, invitation) in invitations.enumerated() {
            if !seen.insert(invitation.department).inserted {
                problems.append(.init(field: "invitations[\(index)].department", detail: "\(invitation.department) is invited twice"))
            }
            for (itemIndex, itemID) in invitation.items.enumerated() {
                let field = "invitations[\(index)].items[\(itemIndex)]"
                guard let item = item(itemID), item.definition.stageID == stage.id else {
                    problems.append(.init(field: field, detail: "stage '\(stage.id)' has no item '\(itemID)'"))
                    continue
                }
                if item.definition.department != invitation.department {
                    problems.append(.init(field: field, detail: "'\(itemID)' is decided by \(item.definition.department), not \(invitation.department)"))
                } else if item.state.hasEnded {
                    problems.append(.init(field: field, detail: "'\(itemID)' has already ended (\(item.state.rawValue))"))
                }
            }
        }
        guard problems.isEmpty else { throw .invalid(problems) }
        return date
    }
}
