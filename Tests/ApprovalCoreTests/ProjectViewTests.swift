import ApprovalCore
import Testing

@Suite("Project: applicability, clock, forecast, warnings", .timeLimit(.minutes(5)))
struct ProjectViewTests {
    func view(_ project: Project, _ date: String) -> ProjectView {
        ProjectView(project: project, asOf: day(date), calendar: officialCalendar)
    }

    @Test func applicabilityFromAttributesAndExemptions() throws {
        let project = smallProject(exemptions: ["b": "审批豁免清单（2026年版）第12项"])
        #expect(project.item("d")?.state == .notApplicable)
        #expect(project.item("e")?.state == .exempted)
        #expect(project.item("e")?.exemptionSource == "区域评估成果覆盖")
        #expect(project.item("b")?.state == .exempted)
        #expect(project.item("b")?.exemptionSource == "审批豁免清单（2026年版）第12项")
        #expect(project.item("a")?.state == .ready)
        #expect(project.item("c")?.state == .blocked)

        let big = try Project(workflow: clockTestWorkflow, attributes: ["big": .boolean(true)], startedOn: day("2026-03-02"))
        #expect(big.item("d")?.state == .ready)
        #expect(big.item("e")?.state == .ready)
    }

    @Test func attributesAreCheckedAgainstTheWorkflow() {
        let error = #expect(throws: ProjectAttributeErrors.self) {
            try Project(workflow: clockTestWorkflow, attributes: ["floors": .number(2.5), "colour": .text("red")],
                        startedOn: day("2026-03-02"), exemptions: ["zz": "x"])
        }
        #expect(error?.problems.keys.sorted() == ["big", "colour", "exemptions.zz", "floors"])
        #expect(error?.problems["floors"] == "attribute 'floors' is a whole number, not 2.5")
    }

    @Test func shippedEnterpriseWorkflowAppliesItsConditions() throws {
        let workflow = shippedCatalog.workflows["enterprise-investment"]!
        var attributes: [String: AttributeValue] = [
            "approval-mode": .text("filing"), "in-regional-assessment-zone": .boolean(true), "land-supply": .text("transfer"),
            "annual-energy-tce": .number(3000), "land-area-sqm": .number(20000), "eia-category": .text("report-form"),
            "special-construction-project": .boolean(true), "builds-civil-air-defence": .boolean(false),
        ]
        let inZone = try Project(workflow: workflow, attributes: attributes, startedOn: day("2026-03-02"))
        #expect(inZone.item("energy-review")?.state == .exempted)
        #expect(inZone.item("eia-approval")?.state == .notApplicable)
        #expect(inZone.item("eia-commitment-approval")?.state == .blocked)
        #expect(inZone.item("project-verification")?.state == .notApplicable)
        #expect(inZone.item("project-filing")?.state == .ready)
        #expect(inZone.item("fire-safety-acceptance")?.definition.onTimeout == .escalate)

        attributes["in-regional-assessment-zone"] = .boolean(false)
        attributes["annual-energy-tce"] = .number(800)
        let outside = try Project(workflow: workflow, attributes: attributes, startedOn: day("2026-03-02"))
        #expect(outside.item("energy-review")?.state == .notApplicable, "under 1,000 tce there is no separate energy review")
        #expect(outside.item("eia-approval")?.state == .blocked)
        #expect(outside.item("eia-commitment-approval")?.state == .notApplicable)
    }

    @Test func stagesClockForecastAndWarnings() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)), ("b", .submit), ("b", .accept(commitment: nil)))

        let friday = view(project, "2026-03-06")
        #expect(friday.usedDays == 4, "parallel items do not add up")
        let a = friday.items.first { $0.id == "a" }!, b = friday.items.first { $0.id == "b" }!
        #expect(a.usedDays == 4 && a.remainingDays == 6 && a.warning == .none)
        #expect(b.remainingDays == 1 && b.warning == .yellow)
        #expect(friday.forecast.totalDays == 4 + 6 + 8 + 6)
        #expect(friday.forecast.criticalPath == ["a", "c", "f"])
        #expect(friday.forecast.completionDate?.value == day("2026-04-03"))
        #expect(friday.warning == .none)
        #expect(friday.currentStageID == "one")
        let one = friday.stages.first { $0.id == "one" }!
        #expect(one.status == .inProgress && one.applicableItems == 3 && one.endedItems == 0 && one.usedDays == 4)
        #expect(friday.stages.first { $0.id == "two" }?.status == .notStarted)

        let tuesday = view(project, "2026-03-10")
        #expect(tuesday.items.first { $0.id == "b" }?.warning == .red)
        #expect(tuesday.items.first { $0.id == "b" }?.isOverdue == true)
        #expect(tuesday.items.first { $0.id == "b" }?.remainingDays == -1)

        try project.run("2026-03-10", ("b", .approve))
        try project.run("2026-03-11", ("a", .approve))
        #expect(project.item("c")?.state == .ready)
        #expect(project.item("f")?.state == .blocked)
        let later = view(project, "2026-03-12")
        #expect(later.usedDays == 7)
        #expect(later.forecast.criticalPath == ["c", "f"])
        #expect(later.forecast.totalDays == 7 + 8 + 6)
        #expect(later.stages.first { $0.id == "one" }?.endedItems == 2)
    }

    @Test func projectWarningsAgainstTheTotalLimit() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)))
        // Nobody decides item a (the sweeper would have); its clock keeps the project's running.
        let april24 = view(project, "2026-04-24")
        #expect(april24.usedDays == 38)
        #expect(april24.warning == .yellow, "38 ≥ 80% of 40")
        let may8 = view(project, "2026-05-08")
        #expect(may8.usedDays == 45)
        #expect(may8.warning == .red)
    }

    @Test func forecastOverTheTotalTurnsTheProjectYellowEarly() throws {
        var project = smallProject()
        // b (escalate policy) is accepted and left undecided; nothing else has been applied for.
        try project.run("2026-03-02", ("b", .submit), ("b", .accept(commitment: nil)))
        let march30 = view(project, "2026-03-30")
        #expect(march30.usedDays == 20, "well under 80% of 40")
        // a → c → f still need their full 10 + 8 + 6.
        #expect(march30.forecast.totalDays == 44)
        #expect(march30.forecast.criticalPath == ["a", "c", "f"])
        #expect(march30.warning == .yellow)
        #expect(view(project, "2026-03-09").warning == .none, "5 used + 24 to go fits the total")
    }

    @Test func completedProjectHasNoForecastPath() throws {
        var project = smallProject()
        for (item, date) in [("a", "2026-03-02"), ("b", "2026-03-02"), ("c", "2026-03-05"), ("f", "2026-03-09")] {
            try project.run(date, (item, .submit), (item, .accept(commitment: nil)))
            try project.run(date, (item, .approve))
        }
        let done = view(project, "2026-03-20")
        #expect(done.forecast.criticalPath.isEmpty && done.forecast.completionDate == nil)
        #expect(done.forecast.totalDays == done.usedDays)
        #expect(done.currentStageID == nil)
        #expect(done.stages.allSatisfy { $0.status == .completed })
    }
}
