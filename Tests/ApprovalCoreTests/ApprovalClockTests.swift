import ApprovalCore
import Foundation
import Testing

@Suite("Clock and local dates", .timeLimit(.minutes(5)))
struct ApprovalClockTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    func instant(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test func localDateFollowsAsiaShanghaiMidnight() {
        #expect(CivilDate(instant: instant("2026-03-16T15:59:59Z"), in: shanghai) == day("2026-03-16"))
        #expect(CivilDate(instant: instant("2026-03-16T16:00:00Z"), in: shanghai) == day("2026-03-17"))
        #expect(CivilDate(instant: instant("1969-12-31T16:00:00Z"), in: shanghai) == day("1970-01-01"))
    }

    @Test func aDeadlineEndsAt2400LocalTime() {
        #expect(day("2026-03-16").endOfDay(in: shanghai) == instant("2026-03-16T16:00:00Z"))
    }

    @Test func virtualClockMovesOnlyWhenTold() {
        let clock = VirtualClock(instant("2026-02-13T09:00:00Z"))
        #expect(clock.today(in: shanghai) == day("2026-02-13"))
        clock.advance(by: 11 * 86_400)
        #expect(clock.today(in: shanghai) == day("2026-02-24"))
        clock.set(instant("2026-10-09T17:00:00Z"))
        #expect(clock.today(in: shanghai) == day("2026-10-10"))
        #expect(officialCalendar.isWorkingDay(clock.today(in: shanghai)), "国庆 make-up Saturday")
    }
}
