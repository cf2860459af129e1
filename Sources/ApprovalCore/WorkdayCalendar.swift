/// The official working-day calendar of one jurisdiction, compiled to a workday ordinal per date.
///
/// `ordinal(d)` counts working days up to and including `d`, so the working days in (S, E] are
/// `ordinal(E) − ordinal(S)` and adding N working days is a table lookup: no day-by-day walks.
/// Inside coverage the table holds the State Council's days off and make-up days (调休上班); outside it the
/// ordinal continues with weekends only, in closed form, and answers are marked provisional.
public struct WorkdayCalendar: Sendable {
    public let id: String
    public let name: String
    /// IANA time zone of the jurisdiction; deadlines end at 24:00 in it.
    public let timeZoneIdentifier: String
    /// First and last covered date (1 January of the first year, 31 December of the last).
    public let coverage: ClosedRange<CivilDate>

    /// ordinalTable[i] = working days in [coverage.lowerBound, coverage.lowerBound + i].
    private let ordinalTable: [Int32]
    /// workdayTable[k] = day offset from coverage.lowerBound of the (k+1)-th working day in coverage.
    private let workdayTable: [Int32]
    /// Holiday name of each listed day off or make-up workday, for explaining a date to a person.
    private let holidayNames: [CivilDate: String]
    /// The calendar's id, coverage and the working days it counts (not the holidays' names): a project snapshot
    /// is valid while its calendar's fingerprint is unchanged, since every deadline then comes out alike.
    public let fingerprint: String

    /// Builds a calendar from per-date overrides of the weekend rule, each with its holiday's name. Validation of
    /// the source data (order, duplicates, years) happens in `CalendarDefinition`; this initialiser trusts it.
    public init(id: String, name: String, timeZoneIdentifier: String, coveredYears: ClosedRange<Int>,
                daysOff: [CivilDate: String], makeUpWorkdays: [CivilDate: String]) {
        self.id = id
        holidayNames = daysOff.merging(makeUpWorkdays) { _, makeUp in makeUp }
        self.name = name
        self.timeZoneIdentifier = timeZoneIdentifier
        let first = CivilDate.firstDay(ofYear: coveredYears.lowerBound)
        let last = CivilDate.lastDay(ofYear: coveredYears.upperBound)
        coverage = first...last
        var ordinals: [Int32] = []
        var workdays: [Int32] = []
        ordinals.reserveCapacity(last - first + 1)
        var count: Int32 = 0
        for offset in 0...(last - first) {
            let date = first.adding(days: offset)
            let working = makeUpWorkdays[date] != nil || (!date.isWeekend && daysOff[date] == nil)
            if working {
                count += 1
                workdays.append(Int32(offset))
            }
            ordinals.append(count)
        }
        ordinalTable = ordinals
        workdayTable = workdays
        // FNV-1a over the working days' offsets: stable across processes, unlike Hasher.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for offset in workdays {
            hash = (hash ^ UInt64(UInt32(bitPattern: offset))) &* 0x100_0000_01b3
        }
        fingerprint = "\(id) \(first)…\(last) \(String(hash, radix: 16))"
    }

    public func isCovered(_ date: CivilDate) -> Bool { coverage.contains(date) }

    public func isWorkingDay(_ date: CivilDate) -> Bool {
        guard isCovered(date) else { return !date.isWeekend }
        return ordinal(date) != ordinal(date.adding(days: -1))
    }

    /// Working days up to and including `date`, counted from the start of coverage (so 0 the day before it,
    /// negative before that). Only differences between ordinals carry meaning.
    public func ordinal(_ date: CivilDate) -> Int {
        let start = coverage.lowerBound, end = coverage.upperBound
        if date < start {
            return Weekdays.count(through: date) - Weekdays.count(through: start.adding(days: -1))
        }
        if date > end {
            // The tables hold at least one covered year, so `last` is always there.
            return Int(ordinalTable.last ?? 0) + Weekdays.count(through: date) - Weekdays.count(through: end)
        }
        return Int(ordinalTable[date - start])
    }

    /// The working day whose ordinal is `target` (the inverse of `ordinal` on working days).
    private func workingDay(withOrdinal target: Int) -> CivilDate {
        let start = coverage.lowerBound, end = coverage.upperBound
        let last = Int(ordinalTable.last ?? 0)
        if target <= 0 {
            return Weekdays.weekday(withCount: target + Weekdays.count(through: start.adding(days: -1)))
        }
        if target > last {
            return Weekdays.weekday(withCount: target - last + Weekdays.count(through: end))
        }
        return start.adding(days: Int(workdayTable[target - 1]))
    }

    /// Working days d with from < d ≤ to (期间开始之日不计算在内). Negative when `to` is before `from`.
    public func workingDays(from: CivilDate, to: CivilDate) -> WorkdayResult<Int> {
        WorkdayResult(ordinal(to) - ordinal(from), isProvisional: !isCovered(from) || !isCovered(to))
    }

    /// The most working days `deadline(adding:to:)` adds: about four years, ten times the longest total limit of
    /// the shipped workflows (100). Definition files and requests are held to it, so no count from outside reaches
    /// the ordinal arithmetic with a size that could overflow it.
    public static let maximumWorkingDays = 1000

    /// The date whose end (24:00 local) is the limit "N working days from `start`": the N-th working day
    /// after `start`, or `start` itself when N = 0 (即办). N outside 0…`maximumWorkingDays` is refused, not
    /// trusted: a negative promise in a meeting's minutes must be a 422, never a crash.
    public func deadline(adding workingDays: Int, to start: CivilDate) throws(WorkingDaysOutOfRange) -> WorkdayResult<CivilDate> {
        guard (0...Self.maximumWorkingDays).contains(workingDays) else { throw WorkingDaysOutOfRange(workingDays: workingDays) }
        let date = workingDays == 0 ? start : workingDay(withOrdinal: ordinal(start) + workingDays)
        return WorkdayResult(date, isProvisional: !isCovered(start) || !isCovered(date))
    }

    /// Why `date` is or is not a working day, in the words of the notice.
    public func reason(for date: CivilDate) -> String {
        let working = isWorkingDay(date)
        if let holiday = holidayNames[date] {
            return working ? "\(holiday) 调休上班 (make-up working day)" : "\(holiday) 放假 (public holiday)"
        }
        if !isCovered(date) { return date.isWeekend ? "weekend" : "weekday" }
        return date.isWeekend ? "weekend" : "ordinary weekday"
    }

    /// Calendar days from `today` to the last covered date; negative once coverage has run out.
    public func coverageDaysLeft(asOf today: CivilDate) -> Int { coverage.upperBound - today }
}

/// A number of working days the calendar does not add: negative, or over `WorkdayCalendar.maximumWorkingDays`.
public struct WorkingDaysOutOfRange: Error, Sendable, Hashable, CustomStringConvertible {
    public let workingDays: Int

    public init(workingDays: Int) { self.workingDays = workingDays }

    public var description: String {
        "\(workingDays) is not a number of working days the calendar counts: 0 to \(WorkdayCalendar.maximumWorkingDays)"
    }
}

/// Closed-form Monday–Friday arithmetic, used outside a calendar's coverage.
enum Weekdays {
    /// 1970-01-05 was a Monday.
    private static let mondayAnchor = 4

    /// Monotone count of weekdays up to and including `date`, relative to an arbitrary origin.
    static func count(through date: CivilDate) -> Int {
        let k = date.dayNumber - mondayAnchor
        let weeks = floorDiv(k, 7), dayInWeek = k - weeks * 7
        return 5 * weeks + min(dayInWeek + 1, 5)
    }

    /// The weekday whose `count(through:)` equals `target`.
    static func weekday(withCount target: Int) -> CivilDate {
        let weeks = floorDiv(target - 1, 5), dayInWeek = (target - 1) - weeks * 5
        return CivilDate(dayNumber: mondayAnchor + 7 * weeks + dayInWeek)
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
