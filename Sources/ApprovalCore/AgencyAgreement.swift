/// The investor's authorisation of the agency service for one project (代办协议).
public struct AgencyAgreement: Sendable, Hashable {
    public enum State: String, Sendable { case active, terminated, completed }

    public let id: Int64
    public var state: State
    public var scope: [String]
    public let startsOn: CivilDate
    public var validUntil: CivilDate?
    public var renewals: Int
    public var endedOn: CivilDate?
    public var endReason: String?
    /// Recorded by the agency centre from a paper agreement the investor signed, not authorised by the investor
    /// in the system.
    public let onPaper: Bool

    public init(id: Int64, state: State, scope: [String], startsOn: CivilDate, validUntil: CivilDate?, renewals: Int,
                endedOn: CivilDate?, endReason: String?, onPaper: Bool = false) {
        self.onPaper = onPaper
        self.id = id
        self.state = state
        self.scope = scope
        self.startsOn = startsOn
        self.validUntil = validUntil
        self.renewals = renewals
        self.endedOn = endedOn
        self.endReason = endReason
    }

    /// The agent may act for the investor today: active, started, not past its end date.
    public func isInForce(on date: CivilDate) -> Bool {
        state == .active && startsOn <= date && (validUntil.map { date <= $0 } ?? true)
    }

    /// Why the agent may not act on `item` today; nil when they may.
    public func refusal(item: String, on date: CivilDate) -> String? {
        switch state {
        case .terminated: return "the agency agreement was terminated on \(endedOn?.description ?? "?") (\(endReason ?? ""))"
        case .completed: return "the agency agreement was completed on \(endedOn?.description ?? "?")"
        case .active: break
        }
        if date < startsOn { return "the agency agreement starts on \(startsOn)" }
        if let validUntil, date > validUntil { return "the agency agreement expired on \(validUntil); the investor may renew it (续办)" }
        if !scope.contains(item) { return "item '\(item)' is outside the agency agreement's scope (\(scope.joined(separator: ", ")))" }
        return nil
    }

    /// 代办: an agent acts for the investor (submits, resubmits) only under the project's latest agreement, while it
    /// is in force and its scope holds the item. Why not, or nil when the agent may.
    public static func onBehalfRefusal(latest: AgencyAgreement?, item: String, on date: CivilDate) -> String? {
        guard let latest else { return "the investor has not authorised the agency service (no agency agreement)" }
        return latest.refusal(item: item, on: date)
    }
}
