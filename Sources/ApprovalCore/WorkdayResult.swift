/// A calendar answer together with whether it relied on dates outside the calendar's coverage.
///
/// Past coverage only weekends are known, so the answer may change when next year's State Council notice is
/// loaded; such answers are `provisional` and every deadline derived from one carries the flag.
public struct WorkdayResult<Value: Sendable & Hashable>: Sendable, Hashable {
    public let value: Value
    public let isProvisional: Bool

    public init(_ value: Value, isProvisional: Bool) {
        self.value = value
        self.isProvisional = isProvisional
    }
}
