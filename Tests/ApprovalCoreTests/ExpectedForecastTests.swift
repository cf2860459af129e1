import ApprovalCore
import Testing

/// The forecast from history: each open item at its department's recent median (and p90) instead of its legal
/// limit, along the same dependency graph; an item without a pace at its legal limit.
@Suite("Expected forecast from history")
struct ExpectedForecastTests {
    // The small project: a (10, development-reform) → c (8, planning) → f (6, housing); b (5, fire safety) → f.
    let paces = [
        "development-reform": DepartmentPace(median: 20, p90: 29.5, decided: 40),
        "natural-resources-planning": DepartmentPace(median: 14.5, p90: 18, decided: 25),
        "housing-construction": DepartmentPace(median: 4, p90: 6, decided: 60),
    ]

    @Test func openItemsTakeTheirDepartmentsRecentDaysAlongTheDependencyGraph() throws {
        let project = smallProject()
        let today = day("2026-03-02")
        let view = ProjectView(project: project, asOf: today, calendar: officialCalendar)
        let expected = ExpectedForecast(project: project, usedDays: view.usedDays, asOf: today, calendar: officialCalendar, paces: paces)
        // a 20, c 15 (14.5 rounded up: a part of a day is a day), f 4; the legal path is 10 + 8 + 6.
        #expect(view.forecast.totalDays == 24)
        #expect(expected.totalDays == 39 && expected.criticalPath == ["a", "c", "f"])
        #expect(expected.totalDaysP90 == 30 + 18 + 6)
        // Fire safety has no pace: its item counts at its legal limit, and says so.
        #expect(expected.itemsAtLegalLimit == ["b"])
        #expect(!expected.passesTotalLimit)
        #expect(expected.completionDate == (try officialCalendar.deadline(adding: 39, to: today)))
        #expect(expected.completionDateP90 == (try officialCalendar.deadline(adding: 54, to: today)))
    }

    @Test func aRunningItemsOwnDaysCountAgainstItsPaceAndASlowDepartmentPassesTheLimitBeforeTheLawSaysSo() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)))
        let today = day("2026-03-09")
        let view = ProjectView(project: project, asOf: today, calendar: officialCalendar)
        let used = try #require(view.items.first { $0.id == "a" }).usedDays
        #expect(used > 0)
        var slow = paces
        slow["development-reform"] = DepartmentPace(median: 26, p90: 31, decided: 40)
        let expected = ExpectedForecast(project: project, usedDays: view.usedDays, asOf: today, calendar: officialCalendar, paces: slow)
        #expect(expected.totalDays == view.usedDays + (26 - used) + 15 + 4)
        #expect(expected.passesTotalLimit, "\(expected.totalDays) against 40")
        // The legal forecast is still well inside the total limit: no yellow yet.
        #expect(view.forecast.totalDays <= 40 && view.warning == .none)

        // An item past its department's median is not expected to end in the past: nothing is left of it.
        let late = ExpectedForecast(project: project, usedDays: view.usedDays, asOf: today, calendar: officialCalendar,
                                    paces: ["development-reform": DepartmentPace(median: 1, p90: 2, decided: 40)])
        #expect(late.totalDays == view.usedDays + 0 + 8 + 6)
        #expect(late.itemsAtLegalLimit.sorted() == ["b", "c", "f"])
    }

    @Test func anEndedProjectExpectsNothingMore() throws {
        var project = smallProject()
        for item in ["a", "b", "c", "f"] {
            try project.run("2026-03-02", (item, .submit), (item, .accept(commitment: nil)), (item, .approve))
        }
        let view = ProjectView(project: project, asOf: day("2026-03-02"), calendar: officialCalendar)
        let expected = ExpectedForecast(project: project, usedDays: view.usedDays, asOf: day("2026-03-02"), calendar: officialCalendar, paces: paces)
        #expect(expected.completionDate == nil && expected.criticalPath.isEmpty && !expected.passesTotalLimit)
    }
}
