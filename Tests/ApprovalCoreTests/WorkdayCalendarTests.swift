import ApprovalCore
import Testing

@Suite("Working-day calendar on the State Council notices", .timeLimit(.minutes(5)))
struct WorkdayCalendarTests {
    let calendar = officialCalendar

    /// Every day from the Sunday before to the Sunday after each holiday, as the notice states it.
    @Test("days off and make-up days", arguments: [
        // 2025 春节: 1/28–2/4 off; Sunday 1/26 and Saturday 2/8 working.
        ("2025-01-25", false), ("2025-01-26", true), ("2025-01-27", true), ("2025-01-28", false),
        ("2025-02-03", false), ("2025-02-04", false), ("2025-02-05", true), ("2025-02-08", true), ("2025-02-09", false),
        // 2025 元旦 (Wednesday only), 劳动节 with Sunday 4/27 working, 端午 over a weekend.
        ("2025-01-01", false), ("2025-01-02", true), ("2025-04-27", true), ("2025-05-05", false), ("2025-05-06", true),
        ("2025-06-02", false), ("2025-06-03", true),
        // 2025 国庆节、中秋节: 10/1–10/8 off; Sunday 9/28 and Saturday 10/11 working.
        ("2025-09-28", true), ("2025-10-01", false), ("2025-10-08", false), ("2025-10-09", true), ("2025-10-11", true),
        // 2026 元旦: 1/1–1/3 off, Sunday 1/4 working.
        ("2026-01-01", false), ("2026-01-02", false), ("2026-01-04", true), ("2026-01-05", true),
        // 2026 春节: 2/15–2/23 off; Saturdays 2/14 and 2/28 working.
        ("2026-02-13", true), ("2026-02-14", true), ("2026-02-15", false), ("2026-02-20", false),
        ("2026-02-23", false), ("2026-02-24", true), ("2026-02-28", true), ("2026-03-01", false),
        // 2026 劳动节 with Saturday 5/9 working; 端午, 中秋.
        ("2026-05-01", false), ("2026-05-05", false), ("2026-05-06", true), ("2026-05-09", true),
        ("2026-06-19", false), ("2026-06-22", true), ("2026-09-25", false), ("2026-09-28", true),
        // 2026 国庆节: 10/1–10/7 off; Sunday 9/20 and Saturday 10/10 working.
        ("2026-09-20", true), ("2026-10-01", false), ("2026-10-07", false), ("2026-10-08", true), ("2026-10-10", true),
        ("2026-10-11", false),
    ])
    func workingDays(date: String, working: Bool) {
        #expect(calendar.isWorkingDay(day(date)) == working, "\(date) \(day(date).chineseWeekday)")
    }

    @Test("adding working days across holidays", arguments: [
        // The issue's own checks.
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-14", 1, "2026-02-24"),
        // N = 0 (即办) ends on the start day itself, even a day off.
        ("2026-02-17", 0, "2026-02-17"),
        ("2026-02-13", 0, "2026-02-13"),
        // Starting on a day off: the first working day after it is day 1.
        ("2026-02-17", 1, "2026-02-24"),
        ("2026-02-12", 5, "2026-02-26"),
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-27", 1, "2025-02-05"),
        ("2025-02-07", 1, "2025-02-08"),
        ("2025-09-26", 2, "2025-09-29"),
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-10-10", 1, "2025-10-11"),
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-10-09", 1, "2026-10-10"),
        ("2026-10-09", 2, "2026-10-12"),
        // 20 working days from 2026-02-10 cross the whole Spring Festival.
        ("2026-02-10", 20, "2026-03-16"),
    ])
    func adding(start: String, workingDays: Int, expected: String) throws {
        let result = try calendar.deadline(adding: workingDays, to: day(start))
        #expect(result.value == day(expected))
        #expect(!result.isProvisional)
    }

    @Test("counting working days in (from, to]", arguments: [
        ("2026-02-13", "2026-02-24", 2),
        // The start day is never counted (期间开始之日不计算在内), the end day is.
        ("2026-02-13", "2026-02-13", 0),
        ("2026-02-12", "2026-02-13", 1),
        ("2026-02-14", "2026-02-23", 0),
        ("2025-01-27", "2025-02-08", 4),
        ("2025-09-30", "2025-10-11", 3),
        // Both years have 248 working days (2025: the first year with the two added public holidays).
        ("2026-01-01", "2026-12-31", 248),
        ("2024-12-31", "2025-12-31", 248),
        // Backwards: the negative of the forward count.
        ("2026-02-24", "2026-02-13", -2),
    ])
    func counting(from: String, to: String, expected: Int) {
        #expect(calendar.workingDays(from: day(from), to: day(to)).value == expected)
    }

    @Test("past coverage only weekends count, and answers are provisional")
    func provisionalPastCoverage() throws {
        let result = try calendar.deadline(adding: 3, to: day("2026-12-30"))
        // 12/31 Thu, then 2027: 1/1 Fri, 1/4 Mon (New Year 2027 not yet published).
        #expect(result.value == day("2027-01-04"))
        #expect(result.isProvisional)
        #expect(calendar.workingDays(from: day("2027-03-01"), to: day("2027-03-08")) == WorkdayResult(5, isProvisional: true))
        #expect(calendar.workingDays(from: day("2024-12-27"), to: day("2025-01-02")) == WorkdayResult(3, isProvisional: true))
        #expect(try calendar.deadline(adding: 2, to: day("2024-12-27")) == WorkdayResult(day("2024-12-31"), isProvisional: true))
        #expect(calendar.coverageDaysLeft(asOf: day("2026-11-22")) == 39)
        #expect(calendar.coverageDaysLeft(asOf: day("2027-01-02")) == -2)
    }

    @Test("dates parse strictly and print as ISO dates")
    func civilDates() {
        #expect(CivilDate(iso: "2026-02-29") == nil)
        #expect(CivilDate(iso: "2026-2-1") == nil)
        #expect(CivilDate(iso: "2024-02-29")?.description == "2024-02-29")
        #expect(day("1970-01-01").dayNumber == 0)
        #expect(day("2026-02-14").weekday == 6)
        #expect(day("2026-02-14").chineseWeekday == "周六")
    }

    @Test("a date from outside has a year the service covers, and every date prints its year in four digits")
    func datesFromOutside() {
        #expect(CivilDate(input: "2026-03-16") == day("2026-03-16"))
        #expect(CivilDate(input: "2000-01-01") == day("2000-01-01"))
        #expect(CivilDate(input: "2099-12-31") == day("2099-12-31"))
        for text in ["0313-10-10", "1999-12-31", "2100-01-01", "9999-12-31", "+2026-03-16", "20260-03-16", "2026-03-16T00:00", ""] {
            #expect(CivilDate(input: text) == nil, "\(text)")
        }
        // Stored dates still read in full, and print as they were written.
        #expect(CivilDate(iso: "0313-10-10")?.description == "0313-10-10")
        #expect(CivilDate(year: 33, month: 1, day: 2)?.description == "0033-01-02")
        #expect(CivilDate(year: 9999, month: 12, day: 31)?.description == "9999-12-31")
    }

    @Test("a count of working days the calendar does not add is refused, not trapped on")
    func workingDaysOutOfRange() throws {
        let start = day("2026-03-16")
        for days in [-1, -3, Int.min, WorkdayCalendar.maximumWorkingDays + 1, Int.max] {
            #expect(throws: WorkingDaysOutOfRange(workingDays: days)) { try calendar.deadline(adding: days, to: start) }
        }
        let longest = try calendar.deadline(adding: WorkdayCalendar.maximumWorkingDays, to: start)
        #expect(calendar.workingDays(from: start, to: longest.value).value == WorkdayCalendar.maximumWorkingDays)
        #expect(longest.isProvisional)
    }
}
