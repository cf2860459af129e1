/// How an item action is written into its audit event (the action's part of `DomainEvent.payload`), and read
/// back when the project is rebuilt from its events.
extension ItemAction {
    public var payload: [String: JSONValue] {
        var fields: [String: JSONValue] = ["action": .string(code)]
        switch self {
        case let .accept(commitment?):
            var promised: [String: JSONValue] = ["missingMaterials": .array(commitment.missingMaterials.map(JSONValue.string)),
                                                 "dueDate": .string(commitment.dueDate.description)]
            if !commitment.requirements.isEmpty { promised["requirements"] = .array(commitment.requirements.map(JSONValue.string)) }
            fields["commitment"] = .object(promised)
        case let .suspend(reason):
            fields["reason"] = .string(reason.code)
            if case let .supplement(missing, requirements) = reason {
                fields["missingMaterials"] = .array(missing.map(JSONValue.string))
                if !requirements.isEmpty { fields["requirements"] = .array(requirements.map(\.json)) }
            }
        case let .reject(reason):
            fields["reason"] = .string(reason)
        case let .defaultApprove(reason):
            fields["reason"] = .string(reason.rawValue)
        case let .exempt(source):
            fields["source"] = .string(source)
        case let .promiseDecision(by):
            fields["by"] = .string(by.description)
        case let .requestExtension(days, reason):
            fields["days"] = .int(Int64(days))
            fields["reason"] = .string(reason)
        case let .refuseExtension(reason):
            fields["reason"] = .string(reason)
        case .submit, .accept(nil), .resume, .approve, .withdraw, .escalate, .fulfilCommitment, .grantExtension:
            break
        }
        return fields
    }

    public init(payload: JSONValue) throws(StoredEventError) {
        func strings(_ value: JSONValue?) -> [String] {
            guard case let .array(values)? = value else { return [] }
            return values.compactMap(\.stringValue)
        }
        let text = payload["action"]?.stringValue ?? ""
        guard let code = ItemAction.Code(rawValue: text) else { throw StoredEventError(message: "unknown item action '\(text)' in an event") }
        switch code {
        case .submit: self = .submit
        case .accept:
            if let commitment = payload["commitment"] {
                guard let due = commitment["dueDate"]?.stringValue.flatMap(CivilDate.init(iso:)) else {
                    throw StoredEventError(message: "accept event without a commitment due date")
                }
                self = .accept(commitment: DeficiencyCommitment(missingMaterials: strings(commitment["missingMaterials"]),
                                                                requirements: strings(commitment["requirements"]), dueDate: due))
            } else {
                self = .accept(commitment: nil)
            }
        case .suspend:
            let requested: [RequestedMaterial]
            if case let .array(values)? = payload["requirements"] {
                requested = try values.map { (value) throws(StoredEventError) in try RequestedMaterial(json: value) }
            } else {
                requested = []
            }
            guard let reason = ClockStopReason(code: payload["reason"]?.stringValue ?? "", missingMaterials: strings(payload["missingMaterials"]),
                                               requirements: requested) else {
                throw StoredEventError(message: "suspend event with an unknown reason")
            }
            self = .suspend(reason)
        case .resume: self = .resume
        case .approve: self = .approve
        case .reject: self = .reject(reason: payload["reason"]?.stringValue ?? "")
        case .withdraw: self = .withdraw
        case .defaultApprove:
            guard let reason = DefaultApprovalReason(rawValue: payload["reason"]?.stringValue ?? "") else {
                throw StoredEventError(message: "default approval event without a reason")
            }
            self = .defaultApprove(reason)
        case .escalate: self = .escalate
        case .exempt: self = .exempt(source: payload["source"]?.stringValue ?? "")
        case .fulfilCommitment: self = .fulfilCommitment
        case .promiseDecision:
            guard let by = payload["by"]?.stringValue.flatMap(CivilDate.init(iso:)) else {
                throw StoredEventError(message: "promise_decision event without its date")
            }
            self = .promiseDecision(by: by)
        case .requestExtension:
            guard case let .int(days)? = payload["days"], let days = Int(exactly: days) else {
                throw StoredEventError(message: "request_extension event without its days")
            }
            self = .requestExtension(days: days, reason: payload["reason"]?.stringValue ?? "")
        case .grantExtension: self = .grantExtension
        case .refuseExtension: self = .refuseExtension(reason: payload["reason"]?.stringValue ?? "")
        }
    }
}

extension ClockStopReason {
    /// The reason named by `code`; `missingMaterials` and `requirements` are used for a supplement.
    public init?(code: String, missingMaterials: [String], requirements: [RequestedMaterial] = []) {
        switch code {
        case "supplement": self = .supplement(missingMaterials: missingMaterials, requirements: requirements)
        case "hearing": self = .hearing
        case "expert_review": self = .expertReview
        case "public_notice": self = .publicNotice
        case "intermediary_work": self = .intermediaryWork
        case "inspection_testing": self = .inspectionTesting
        case "appraisal": self = .appraisal
        case "bidding_auction": self = .biddingAuction
        default: return nil
        }
    }
}

/// A stored event that cannot be replayed: the log was written by a newer version or altered.
public struct StoredEventError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}
