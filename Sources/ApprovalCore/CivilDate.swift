/// A calendar date in the deployment's local time zone, with no time of day.
///
/// Deadlines in this domain are dates: "N working days from S" ends at 24:00 local time of a date, so every
/// computation works on dates and only the clock converts an instant to "today".
/// Stored as a day number (days since 1970-01-01) so that arithmetic and comparison are integer operations.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// Days since 1970-01-01 (which is day 0, a Thursday).
    public let dayNumber: Int

    public init(dayNumber: Int) {
        self.dayNumber = dayNumber
    }

    /// Returns nil when the components do not name a real date (2026-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.dayNumber = CivilDate.dayNumber(year: year, month: month, day: day)
    }

    /// Parses `YYYY-MM-DD` strictly: four-digit year, two-digit month and day, a real date.
    public init?(iso text: some StringProtocol) {
        // Byte by byte: every stored event's date passes through here when a project is rebuilt.
        var digits: [Int] = []
        digits.reserveCapacity(8)
        var index = 0
        for byte in text.utf8 {
            if index == 4 || index == 7 {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                guard (0x30...0x39).contains(byte) else { return nil }
                digits.append(Int(byte - 0x30))
            }
            index += 1
        }
        guard index == 10 else { return nil }
        self.init(year: digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3], month: digits[4] * 10 + digits[5],
                  day: digits[6] * 10 + digits[7])
    }

    /// The years a date given from outside may name — a request field, a query parameter, a CLI argument, a
    /// calendar file — as the contract's `Day` states (2000–2099). Every working-day calendar and legal time limit
    /// of the service falls within them, and dates kept there keep all date and working-day arithmetic far from
    /// overflow. Stored dates, which the service itself wrote, are read with `init(iso:)`.
    public static let acceptedYears = 2000...2099

    /// How a date from outside is written, for messages: "'0313-10-10' is not a date (YYYY-MM-DD, …)".
    public static let acceptedForm = "YYYY-MM-DD, a year from \(acceptedYears.lowerBound) to \(acceptedYears.upperBound)"

    /// Parses a date given from outside: `YYYY-MM-DD` as `init(iso:)`, and a year in `acceptedYears`.
    public init?(input text: some StringProtocol) {
        guard let date = CivilDate(iso: text), CivilDate.acceptedYears.contains(date.year) else { return nil }
        self = date
    }

    public var components: (year: Int, month: Int, day: Int) {
        CivilDate.civil(fromDayNumber: dayNumber)
    }

    public var year: Int { components.year }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        // Day 0 was a Thursday (ISO 4).
        let zeroBased = (dayNumber + 3) % 7
        return (zeroBased < 0 ? zeroBased + 7 : zeroBased) + 1
    }

    public var isWeekend: Bool { weekday >= 6 }

    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    public static func - (lhs: CivilDate, rhs: CivilDate) -> Int { lhs.dayNumber - rhs.dayNumber }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    /// `YYYY-MM-DD`, the year always four digits (0313-10-10, not 313-10-10): PostgreSQL and `init(iso:)` read
    /// nothing else. A year outside 0–9999 cannot be four digits; no path of the service makes one (dates from
    /// outside are in `acceptedYears`), and it would print with its sign and all its digits.
    public var description: String {
        let (y, m, d) = components
        let digits = String(y.magnitude)
        let year = (y < 0 ? "-" : "") + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return "\(year)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    /// 周一 … 周日, for output read by approval-centre staff.
    public var chineseWeekday: String {
        ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][weekday - 1]
    }

    public static func firstDay(ofYear year: Int) -> CivilDate { CivilDate(dayNumber: dayNumber(year: year, month: 1, day: 1)) }
    public static func lastDay(ofYear year: Int) -> CivilDate { CivilDate(dayNumber: dayNumber(year: year, month: 12, day: 31)) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CivilDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a date (YYYY-MM-DD)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDayNumber days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
