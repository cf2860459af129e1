import Foundation
import Synchronization

/// The one source of "now" for the engine. Nothing in ApprovalCore reads the system time directly, so tests and
/// the simulation mode can move months of deadlines in milliseconds.
public protocol ApprovalClock: Sendable {
    func now() -> Date
}

extension ApprovalClock {
    /// The local date of "now" in the given time zone: the day deadlines are compared against.
    public func today(in timeZone: TimeZone) -> CivilDate { CivilDate(instant: now(), in: timeZone) }
}

public struct SystemClock: ApprovalClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to: for tests, demos and training staff on a simulated 90-day project.
public final class VirtualClock: ApprovalClock {
    private let current: Mutex<Date>

    public init(_ start: Date) { current = Mutex(start) }

    public func now() -> Date { current.withLock { $0 } }

    public func set(_ instant: Date) { current.withLock { $0 = instant } }

    public func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

extension CivilDate {
    /// The local date of an instant in a time zone (daylight-saving aware, though Asia/Shanghai has none).
    public init(instant: Date, in timeZone: TimeZone) {
        let local = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        self.init(dayNumber: Int((local / 86_400).rounded(.down)))
    }

    /// The instant a deadline on this date passes: 24:00 local time, i.e. the start of the next day.
    public func endOfDay(in timeZone: TimeZone) -> Date {
        let nextMidnightLocal = Double(dayNumber + 1) * 86_400
        let guess = Date(timeIntervalSince1970: nextMidnightLocal)
        return Date(timeIntervalSince1970: nextMidnightLocal - Double(timeZone.secondsFromGMT(for: guess)))
    }
}
