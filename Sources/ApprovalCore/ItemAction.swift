/// Everything that can be done to an item, by a person or by the deadline engine.
public enum ItemAction: Sendable, Hashable {
    case submit
    /// 受理, optionally 容缺受理 with a deficiency commitment.
    case accept(commitment: DeficiencyCommitment?)
    case suspend(ClockStopReason)
    /// The applicant resubmitted the missing materials, or the excluded procedure ended.
    case resume
    case approve
    case reject(reason: String)
    case withdraw
    case defaultApprove(DefaultApprovalReason)
    /// A timed-out item whose policy forbids silent approval goes to the stage's lead department and leaders.
    case escalate
    case exempt(source: String)
    case fulfilCommitment
    /// At a joint review (联审联办会) the department promised in the minutes to decide by this date; it becomes
    /// the item's deadline when earlier.
    case promiseDecision(by: CivilDate)
    /// 延期: the reviewer asks the department's head to extend the limit by `days` working days, once per item.
    case requestExtension(days: Int, reason: String)
    /// The head grants the extension asked for: the deadline moves by its working days.
    case grantExtension
    /// The head refuses it, saying why.
    case refuseExtension(reason: String)

    /// The action's stable identifier, in audit events and their payloads (`item.<code>`).
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case submit, accept, suspend, resume, approve, reject, withdraw
        case defaultApprove = "default_approve"
        case escalate, exempt
        case fulfilCommitment = "fulfil_commitment"
        case promiseDecision = "promise_decision"
        case requestExtension = "request_extension"
        case grantExtension = "grant_extension"
        case refuseExtension = "refuse_extension"
    }

    public var kind: Code {
        switch self {
        case .submit: .submit
        case .accept: .accept
        case .suspend: .suspend
        case .resume: .resume
        case .approve: .approve
        case .reject: .reject
        case .withdraw: .withdraw
        case .defaultApprove: .defaultApprove
        case .escalate: .escalate
        case .exempt: .exempt
        case .fulfilCommitment: .fulfilCommitment
        case .promiseDecision: .promiseDecision
        case .requestExtension: .requestExtension
        case .grantExtension: .grantExtension
        case .refuseExtension: .refuseExtension
        }
    }

    public var code: String { kind.rawValue }

    /// The action's name in messages: the verb of "cannot … item 'x'".
    public var name: String {
        switch self {
        case .fulfilCommitment: "fulfil the deficiency commitment of"
        case .promiseDecision: "record a promised decision date for"
        case .requestExtension: "request an extension of"
        case .grantExtension: "grant the extension of"
        case .refuseExtension: "refuse the extension of"
        case .defaultApprove: "default-approve"
        default: code
        }
    }
}

/// One entry of an item's history: what happened, when, and the state it led to.
public struct ItemEvent: Sendable, Hashable {
    public let action: String
    public let from: ItemState
    public let to: ItemState
    public let on: CivilDate
    public let detail: String?
}

/// Why an action on an item was refused. Never a server error: every case is the caller's request meeting the
/// item's current state, and the message says which state it is in, since when and how it got there.
public enum ItemTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The action is not possible from the item's current state (a conflict).
    case illegalTransition(item: String, action: String, state: ItemState, reachedBy: ItemEvent?)
    /// The action is possible in this state, but the request itself is incomplete or not permitted.
    case invalidRequest(item: String, action: String, problem: String)
    /// The application lacks materials the action needs (`Project.checkMaterials`).
    case materialsMissing(item: String, action: String, missing: [MissingMaterial], advice: String)

    public var description: String {
        switch self {
        case let .illegalTransition(item, action, state, reachedBy):
            var how = ""
            if let reachedBy {
                how = " since \(reachedBy.on), reached by \(reachedBy.action)"
                if let detail = reachedBy.detail { how += " (\(detail))" }
            }
            let ended = state.hasEnded ? "; the item has already ended" : ""
            return "cannot \(action) item '\(item)': it is \(state.rawValue)\(how)\(ended)"
        case let .invalidRequest(item, action, problem):
            return "cannot \(action) item '\(item)': \(problem)"
        case let .materialsMissing(item, action, missing, advice):
            return "cannot \(action) item '\(item)': \(missing.map(\.description).joined(separator: "; ")); \(advice)"
        }
    }
}
