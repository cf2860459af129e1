import Foundation

/// One item of one project: its state, its clock and its history.
///
/// Every action goes through `apply(_:on:calendar:)`, which either performs the whole transition or throws and
/// changes nothing.
public struct ProjectItem: Sendable, Hashable {
    public let definition: ItemDefinition
    public private(set) var state: ItemState
    public private(set) var history: [ItemEvent] = []
    /// Closed running intervals of the clock.
    public private(set) var runs: [RunningInterval] = []
    /// Start of the current running interval while the item is accepted.
    public private(set) var runningSince: CivilDate?
    public private(set) var stops: [ClockStop] = []
    /// End (24:00 local) of this date is the deadline while the clock runs; kept through a stop for display.
    public private(set) var deadline: WorkdayResult<CivilDate>?
    public private(set) var commitment: DeficiencyCommitment?
    public private(set) var supplementRequests = 0
    public private(set) var escalatedOn: CivilDate?
    public private(set) var defaultApprovalReason: DefaultApprovalReason?
    public private(set) var exemptionSource: String?
    public private(set) var rejectionReason: String?
    /// The earliest decision date the department promised at a joint review; caps the deadline.
    public private(set) var promisedBy: CivilDate?
    /// 延期: asked for once, then granted or refused by the department's head.
    public private(set) var timeExtension: TimeExtension?

    public var id: String { definition.id }

    /// The working days the department has: the definition's limit, and an extension granted.
    public var limit: Int { definition.limit + (timeExtension?.grantedDays ?? 0) }

    /// An extension asked for and not decided, while the head may still decide it (the item's clock is the
    /// department's); one left undecided when the item ended has lapsed.
    public var extensionPending: Bool {
        timeExtension != nil && timeExtension?.decidedOn == nil && [.accepted, .suspended].contains(state)
    }

    /// While the clock is stopped: what for, as the stop recorded it (补正材料 with what was asked for, 听证 …).
    public var waitingFor: String? { state == .suspended ? reachedBy?.detail : nil }

    /// The day a 容缺 commitment's materials are due, while it is still to be kept: through the decision, until the
    /// application ends without one.
    public var commitmentDue: CivilDate? {
        guard let commitment, commitment.fulfilledOn == nil, ![.withdrawn, .rejected].contains(state) else { return nil }
        return commitment.dueDate
    }

    /// Supplement requests after the first: each breaks the one-time notification rule (一次性告知).
    public var repeatSupplementRequests: Int { max(0, supplementRequests - 1) }

    /// The event that brought the item into its current state.
    public var reachedBy: ItemEvent? { history.last { $0.to == state && $0.from != $0.to } ?? history.last }

    init(definition: ItemDefinition, initialState: ItemState, on date: CivilDate, detail: String?) {
        self.definition = definition
        state = initialState
        if initialState == .exempted { exemptionSource = detail }
        history = [ItemEvent(action: "create", from: initialState, to: initialState, on: date, detail: detail)]
    }

    /// The item as a snapshot left it (`ProjectSnapshot`).
    init(definition: ItemDefinition, restoring snapshot: ProjectSnapshot.ItemSnapshot) {
        self.definition = definition
        state = snapshot.state
        history = snapshot.history
        runs = snapshot.runs
        runningSince = snapshot.runningSince
        stops = snapshot.stops
        deadline = snapshot.deadline.map { WorkdayResult($0, isProvisional: snapshot.deadlineProvisional) }
        commitment = snapshot.commitment
        supplementRequests = snapshot.supplementRequests
        escalatedOn = snapshot.escalatedOn
        defaultApprovalReason = snapshot.defaultApprovalReason
        exemptionSource = snapshot.exemptionSource
        rejectionReason = snapshot.rejectionReason
        promisedBy = snapshot.promisedBy
        timeExtension = snapshot.timeExtension
    }

    /// Working days the clock has run, up to and including `today` for a running clock.
    public func usedDays(asOf today: CivilDate, calendar: WorkdayCalendar) -> Int {
        runningIntervals(asOf: today).reduce(0) { $0 + calendar.workingDays(from: $1.start, to: $1.end).value }
    }

    /// Closed intervals plus the open one cut at `today`.
    public func runningIntervals(asOf today: CivilDate) -> [RunningInterval] {
        guard let runningSince, today > runningSince else { return runs }
        return runs + [RunningInterval(start: runningSince, end: today)]
    }

    /// Whether the limit has passed while the clock ran: the day after the deadline date has begun.
    public func isOverdue(asOf today: CivilDate) -> Bool {
        guard state == .accepted, let deadline else { return false }
        return today > deadline.value
    }

    /// What the deadline engine must do for this item today, if anything.
    public func timeoutDecision(asOf today: CivilDate) -> TimeoutPolicy? {
        guard isOverdue(asOf: today) else { return nil }
        switch definition.onTimeout {
        case .defaultApprove: return .defaultApprove
        case .escalate: return escalatedOn == nil ? .escalate : nil
        }
    }

    public mutating func apply(_ action: ItemAction, on date: CivilDate, calendar: WorkdayCalendar) throws(ItemTransitionError) {
        let before = state
        var detail: String?
        if let last = history.last, date < last.on {
            throw invalid(action, "the action is dated \(date), before the item's last event on \(last.on)")
        }
        switch action {
        case .submit:
            try require([.ready], for: action)
            state = .submitted

        case let .accept(commitment):
            try require([.submitted], for: action)
            // Computed before anything changes: a refusal must leave the item as it was.
            let limitEnd = try limitDeadline(adding: definition.limit, to: date, calendar: calendar, for: action)
            if let commitment {
                guard definition.allowsDeficiencyAcceptance else {
                    throw invalid(action, "this item does not allow acceptance with deficiencies (容缺受理)")
                }
                guard !commitment.missingMaterials.isEmpty, commitment.missingMaterials.allSatisfy({ !$0.isEmpty }) else {
                    throw invalid(action, "a deficiency commitment must list the missing materials")
                }
                guard commitment.dueDate >= date else {
                    throw invalid(action, "the commitment's due date \(commitment.dueDate) is before the acceptance date \(date)")
                }
                self.commitment = commitment
                detail = "容缺受理: \(commitment.missingMaterials.joined(separator: "、")) due \(commitment.dueDate)"
            }
            startClock(on: date, limitEnd: limitEnd, calendar: calendar)
            state = .accepted

        case let .suspend(reason):
            try require([.accepted], for: action)
            if case let .supplement(missing, requested) = reason {
                guard !missing.isEmpty || !requested.isEmpty, missing.allSatisfy({ !$0.isEmpty }) else {
                    throw invalid(action, "a supplement request must list every missing material at once (一次性告知)")
                }
                supplementRequests += 1
                let names = requested.map { request in definition.requirements.first { $0.id == request.requirement }?.name ?? request.requirement }
                detail = "\(reason.chineseName): \((names + missing).joined(separator: "、"))"
            } else {
                detail = reason.chineseName
            }
            stopClock(on: date)
            stops.append(ClockStop(reason: reason, stoppedOn: date, resumedOn: nil))
            state = .suspended

        case .resume:
            try require([.suspended], for: action)
            // While suspended no interval is open, so this is the time used before the stop.
            let used = usedDays(asOf: date, calendar: calendar)
            let limitEnd = try limitDeadline(adding: max(0, limit - used), to: date, calendar: calendar, for: action)
            // A suspended item has the stop that suspended it.
            if let last = stops.indices.last { stops[last].resumedOn = date }
            startClock(on: date, limitEnd: limitEnd, calendar: calendar)
            state = .accepted

        case .approve:
            try require([.accepted], for: action)
            stopClock(on: date)
            state = .approved

        case let .reject(reason):
            try require([.accepted], for: action)
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw invalid(action, "a rejection must give its reason")
            }
            stopClock(on: date)
            rejectionReason = reason
            detail = reason
            state = .rejected

        case .withdraw:
            try require([.submitted, .accepted, .suspended], for: action)
            stopClock(on: date)
            state = .withdrawn

        case let .defaultApprove(reason):
            switch reason {
            case .timeout:
                try require([.accepted], for: action)
                guard isOverdue(asOf: date), let deadline else {
                    throw invalid(action, "its deadline \(deadline.map { "\($0.value)" } ?? "-") has not passed on \(date)")
                }
                detail = "timeout: no decision by the end of \(deadline.value)"
            case .absence:
                try require([.submitted, .accepted], for: action)
                detail = "absence: department absent from the joint review without approved leave"
            }
            guard definition.onTimeout == .defaultApprove else {
                throw invalid(action, "its policy is escalate: silent approval is not allowed for this item")
            }
            stopClock(on: date)
            defaultApprovalReason = reason
            state = .defaultApproved

        case .escalate:
            try require([.accepted], for: action)
            if let escalatedOn {
                throw invalid(action, "it was already escalated on \(escalatedOn)")
            }
            guard isOverdue(asOf: date), let deadline else {
                throw invalid(action, "its deadline \(deadline.map { "\($0.value)" } ?? "-") has not passed on \(date)")
            }
            escalatedOn = date
            detail = "overdue since the end of \(deadline.value); escalated to the stage's lead department and leaders"

        case let .exempt(source):
            try require([.blocked, .ready], for: action)
            guard !source.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw invalid(action, "an exemption must name its source (e.g. the exemption list or regional assessment)")
            }
            exemptionSource = source
            detail = source
            state = .exempted

        case .fulfilCommitment:
            guard let pending = commitment else { throw invalid(action, "it was not accepted with deficiencies") }
            if let fulfilledOn = pending.fulfilledOn {
                throw invalid(action, "the commitment was already fulfilled on \(fulfilledOn)")
            }
            try require([.accepted, .suspended, .approved, .defaultApproved], for: action)
            commitment?.fulfilledOn = date
            detail = "supplied: \(pending.missingMaterials.joined(separator: "、"))"

        case let .promiseDecision(by):
            try require([.accepted, .suspended], for: action)
            guard by >= date else { throw invalid(action, "the promised date \(by) is before \(date)") }
            promisedBy = min(promisedBy ?? by, by)
            if state == .accepted, let current = deadline, by < current.value {
                deadline = WorkdayResult(by, isProvisional: !calendar.isCovered(by))
            }
            detail = "promised at the joint review: a decision by \(by)"

        case let .requestExtension(days, reason):
            try require([.accepted, .suspended], for: action)
            guard definition.extensionDays > 0 else { throw invalid(action, "its limit may not be extended (the workflow allows no 延期 for it)") }
            if let asked = timeExtension { throw invalid(action, "an extension was already asked for on \(asked.requestedOn); an item's limit is extended once") }
            guard (1...definition.extensionDays).contains(days) else {
                throw invalid(action, "an extension of \(days) working days; this item's may be 1 to \(definition.extensionDays)")
            }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw invalid(action, "an extension request must give its reason") }
            try requireNotOverdue(action, on: date)
            try requireNoPromise(action)
            timeExtension = TimeExtension(days: days, reason: reason, requestedOn: date)
            detail = "延期 \(days) working days asked for: \(reason)"

        case .grantExtension, .refuseExtension:
            try require([.accepted, .suspended], for: action)
            guard let asked = timeExtension, asked.decidedOn == nil else {
                throw invalid(action, timeExtension.map { "the extension was already \($0.granted == true ? "granted" : "refused") on \($0.decidedOn.map { "\($0)" } ?? "")" }
                                  ?? "no extension was asked for")
            }
            try requireNotOverdue(action, on: date)
            if case let .refuseExtension(reason) = action {
                guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw invalid(action, "a refusal must give its reason") }
                timeExtension?.decide(granted: false, on: date)
                detail = "延期 refused: \(reason)"
            } else {
                try requireNoPromise(action)
                // Counted from the deadline as it stands; while the clock is stopped the resumption counts the longer limit.
                if state == .accepted, let current = deadline {
                    deadline = try limitDeadline(adding: asked.days, to: current.value, calendar: calendar, for: action)
                }
                timeExtension?.decide(granted: true, on: date)
                detail = "延期 \(asked.days) working days granted: "
                    + (state == .accepted ? deadline.map { "deadline \($0.value)" } ?? "" : "counted when the clock resumes")
            }
        }
        history.append(ItemEvent(action: action.name, from: before, to: state, on: date, detail: detail))
    }

    /// Internal: the project opens an item once all its prerequisites have released it.
    mutating func open(on date: CivilDate) {
        guard state == .blocked else { return }
        state = .ready
        history.append(ItemEvent(action: "open", from: .blocked, to: .ready, on: date, detail: "prerequisites complete"))
    }

    /// The end of `remaining` working days from `date`. Validation keeps limits within what the calendar adds, so
    /// a refusal here means a definition that bypassed it; it is still an error the caller sees, not a crash.
    private func limitDeadline(adding remaining: Int, to date: CivilDate, calendar: WorkdayCalendar,
                               for action: ItemAction) throws(ItemTransitionError) -> WorkdayResult<CivilDate> {
        do {
            return try calendar.deadline(adding: remaining, to: date)
        } catch {
            throw invalid(action, "its limit cannot be counted: \(error)")
        }
    }

    private mutating func startClock(on date: CivilDate, limitEnd: WorkdayResult<CivilDate>, calendar: WorkdayCalendar) {
        runningSince = date
        deadline = limitEnd
        if let promisedBy, let current = deadline, promisedBy < current.value {
            deadline = WorkdayResult(max(promisedBy, date), isProvisional: !calendar.isCovered(promisedBy))
        }
    }

    private mutating func stopClock(on date: CivilDate) {
        guard let start = runningSince else { return }
        runs.append(RunningInterval(start: start, end: date))
        runningSince = nil
    }

    /// A decision date promised at a joint review binds the department: no extension moves past it.
    private func requireNoPromise(_ action: ItemAction) throws(ItemTransitionError) {
        if let promisedBy { throw invalid(action, "the department promised at a joint review to decide by \(promisedBy)") }
    }

    /// An extension is a decision before the limit runs out: once it has, the deadline engine acts.
    private func requireNotOverdue(_ action: ItemAction, on date: CivilDate) throws(ItemTransitionError) {
        if isOverdue(asOf: date), let deadline { throw invalid(action, "its deadline \(deadline.value) has passed") }
    }

    private func require(_ states: Set<ItemState>, for action: ItemAction) throws(ItemTransitionError) {
        guard states.contains(state) else {
            throw .illegalTransition(item: id, action: action.name, state: state, reachedBy: reachedBy)
        }
    }

    private func invalid(_ action: ItemAction, _ problem: String) -> ItemTransitionError {
        .invalidRequest(item: id, action: action.name, problem: problem)
    }
}
