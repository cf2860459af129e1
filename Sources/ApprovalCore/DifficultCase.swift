/// 疑难会商: a difficulty the agent takes to the agency centre, settled at a consultation meeting.
public struct DifficultCase: Sendable, Hashable {
    public let id: Int64
    public let itemID: String?
    public let title: String
    public let description: String
    public let raisedOn: CivilDate
    public let raisedBy: String
    public let meetingOn: CivilDate?
    public let outcome: String?
    public let resolvedOn: CivilDate?

    public init(id: Int64, itemID: String?, title: String, description: String, raisedOn: CivilDate, raisedBy: String,
                meetingOn: CivilDate?, outcome: String?, resolvedOn: CivilDate?) {
        self.id = id
        self.itemID = itemID
        self.title = title
        self.description = description
        self.raisedOn = raisedOn
        self.raisedBy = raisedBy
        self.meetingOn = meetingOn
        self.outcome = outcome
        self.resolvedOn = resolvedOn
    }

    public var isOpen: Bool { resolvedOn == nil }

    /// Calendar days from raised to resolved, or to `today` while open.
    public func ageDays(asOf today: CivilDate) -> Int { (resolvedOn ?? today) - raisedOn }

    public enum Refusal: Error, Sendable, Hashable {
        /// Already settled, once and for all.
        case resolved(on: CivilDate?, outcome: String?)
        case invalid(FieldProblem)
    }

    /// The case may be settled by a meeting held on `meetingOn`: it is open, and the meeting falls between its
    /// being raised and today.
    public func checkResolvable(meetingOn: CivilDate, today: CivilDate) throws(Refusal) {
        guard isOpen else { throw .resolved(on: resolvedOn, outcome: outcome) }
        guard meetingOn >= raisedOn, meetingOn <= today else {
            throw .invalid(FieldProblem(field: "meetingOn", detail: "the meeting falls between the case being raised (\(raisedOn)) and today (\(today))"))
        }
    }
}
