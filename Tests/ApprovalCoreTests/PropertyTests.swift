import ApprovalCore
import PropertyBased
import Testing

/// Properties over random dates and random histories, inside and beyond the calendar's coverage.
@Suite("Calendar and clock properties", .timeLimit(.minutes(5)))
struct PropertyTests {
    /// Mid-2024 to mid-2027: before, inside and after the covered years 2025–2026.
    static let dates = Gen.int(in: day("2024-06-01").dayNumber...day("2027-06-30").dayNumber).map { CivilDate(dayNumber: $0) }

    @Test func addingNThenCountingGivesN() async {
        await propertyCheck(count: 500, input: Self.dates, Gen.int(in: 0...400)) { start, n in
            let end = try officialCalendar.deadline(adding: n, to: start).value
            #expect(officialCalendar.workingDays(from: start, to: end).value == n)
            if n > 0 {
                #expect(officialCalendar.isWorkingDay(end), "the N-th working day is a working day")
                #expect(officialCalendar.workingDays(from: start, to: end.adding(days: -1)).value == n - 1, "and the first with that count")
            } else {
                #expect(end == start)
            }
        }
    }

    @Test func ordinalMatchesADayByDayWalk() async {
        await propertyCheck(count: 200, input: Self.dates, Gen.int(in: 0...60)) { start, span in
            var walked = 0
            for offset in stride(from: 1, through: span, by: 1) where officialCalendar.isWorkingDay(start.adding(days: offset)) {
                walked += 1
            }
            #expect(officialCalendar.workingDays(from: start, to: start.adding(days: span)).value == walked)
        }
    }

    @Test func aStopNeverMakesADeadlineEarlier() async {
        await propertyCheck(count: 300, input: Self.dates, Gen.int(in: 0...40), Gen.int(in: 0...80)) { accepted, runDays, stopDays in
            var project = smallProject(startedOn: "\(accepted)")
            try project.perform(.submit, on: "a", date: accepted, calendar: officialCalendar)
            try project.perform(.accept(commitment: nil), on: "a", date: accepted, calendar: officialCalendar)
            let original = project.item("a")!.deadline!.value
            let stopped = accepted.adding(days: runDays), resumed = stopped.adding(days: stopDays)
            try project.perform(.suspend(.supplement(missingMaterials: ["材料"])), on: "a", date: stopped, calendar: officialCalendar)
            try project.perform(.resume, on: "a", date: resumed, calendar: officialCalendar)
            #expect(project.item("a")!.deadline!.value >= original)
        }
    }

    /// Random histories of random actions on the test workflow; refused actions are skipped, as a user's would be.
    static let histories = Gen.int(in: 0...9_999).array(of: 1...60)

    static func play(_ steps: [Int]) -> (Project, CivilDate) {
        var project = smallProject(startedOn: "2026-01-05")
        var date = day("2026-01-05")
        let items = ["a", "b", "c", "f"]
        let actions: [ItemAction] = [.submit, .accept(commitment: nil), .suspend(.supplement(missingMaterials: ["材料"])),
                                     .resume, .approve, .suspend(.expertReview), .withdraw, .reject(reason: "理由"), .escalate]
        for step in steps {
            date = date.adding(days: step % 7)
            let item = items[(step / 7) % items.count], action = actions[(step / 28) % actions.count]
            try? project.perform(action, on: item, date: date, calendar: officialCalendar)
        }
        return (project, date.adding(days: steps.first! % 30))
    }

    @Test func projectClockLiesBetweenLongestAndSumOfItemClocks() async {
        await propertyCheck(count: 300, input: Self.histories) { steps in
            let (project, today) = Self.play(steps)
            let view = ProjectView(project: project, asOf: today, calendar: officialCalendar)
            let itemClocks = view.items.map(\.usedDays)
            #expect(view.usedDays >= itemClocks.max()!)
            #expect(view.usedDays <= itemClocks.reduce(0, +))
        }
    }

    @Test func forecastNeverFallsBelowUsedDays() async {
        await propertyCheck(count: 300, input: Self.histories) { steps in
            let (project, today) = Self.play(steps)
            let view = ProjectView(project: project, asOf: today, calendar: officialCalendar)
            #expect(view.forecast.totalDays >= view.usedDays)
        }
    }

    @Test func unionClockEqualsCountingEachDayOnce() async {
        let intervals = Gen.int(in: 0...200).array(of: 2...2).map { RunningInterval(start: day("2026-01-10").adding(days: $0.min()!), end: day("2026-01-10").adding(days: $0.max()!)) }
        await propertyCheck(count: 300, input: intervals.array(of: 0...6)) { spans in
            var days = Set<CivilDate>()
            for span in spans {
                for offset in stride(from: 1, through: span.end - span.start, by: 1) where officialCalendar.isWorkingDay(span.start.adding(days: offset)) {
                    days.insert(span.start.adding(days: offset))
                }
            }
            #expect(ProjectClock.usedDays(spans, calendar: officialCalendar) == days.count)
        }
    }
}
