import ApprovalCore
import Testing

/// 延期 (行政许可法 §42): a reviewer asks, the head of the department decides, once per item; the deadline moves by
/// the working days granted, counted on the official calendar; the project's total limit does not move.
@Suite("Time-limit extensions", .timeLimit(.minutes(1)))
struct TimeExtensionTests {
    /// Item a (limit 10) accepted on Wednesday 2026-04-08: its deadline is the end of Wednesday 04-22.
    private func accepted() throws -> Project {
        var project = smallProject(startedOn: "2026-04-08")
        try project.run("2026-04-08", ("a", .submit), ("a", .accept(commitment: nil)))
        #expect(project.item("a")?.deadline?.value == day("2026-04-22"))
        return project
    }

    @Test func aGrantedExtensionMovesTheDeadlineByItsWorkingDaysAcrossAHoliday() throws {
        var project = try accepted()
        try project.run("2026-04-20", ("a", .requestExtension(days: 8, reason: "需组织专家论证")))
        #expect(project.item("a")?.deadline?.value == day("2026-04-22"), "asking moves nothing")
        try project.run("2026-04-21", ("a", .grantExtension))
        // 04-23, 24, 27, 28, 29, 30, then 劳动节 (05-01 to 05-05), then 05-06 and 05-07.
        #expect(project.item("a")?.deadline?.value == day("2026-05-07"))
        #expect(project.item("a")?.limit == 18)
        let view = ProjectView(project: project, asOf: day("2026-04-21"), calendar: officialCalendar)
        #expect(view.items.first { $0.id == "a" }?.remainingDays == 9)  // 04-22 to 04-30, 05-06 and 05-07
        #expect(view.totalLimit == clockTestWorkflow.totalLimit, "the project's total limit does not move")
        #expect(project.item("a")?.history.last?.detail == "延期 8 working days granted: deadline 2026-05-07")
    }

    @Test func aYellowItemWhoseDeadlineMovesIsWarnedAgainAsTheNewDeadlineNears() throws {
        var project = try accepted()
        var documents: [String: FormalDocument] = [:]
        var progress: ProgressUpdate?
        func yellows(_ decided: DeadlineDecisions) -> [String] {
            decided.decisions.compactMap { if case let .itemWarning(item) = $0 { item.id } else { nil } }
        }
        let nearing = try project.sweep(today: day("2026-04-22"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                        agentID: nil, itemYellowRaised: [], warningRaised: .none)
        #expect(yellows(nearing) == ["a"])
        try project.run("2026-04-22", ("a", .requestExtension(days: 8, reason: "需组织专家论证")), ("a", .grantExtension))
        let extended = try project.sweep(today: day("2026-04-23"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                         agentID: nil, itemYellowRaised: nearing.itemYellowRaised, warningRaised: nearing.warningRaised)
        #expect(yellows(extended).isEmpty && !extended.itemYellowRaised.contains("a"))
        let nearingAgain = try project.sweep(today: day("2026-05-07"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                             agentID: nil, itemYellowRaised: extended.itemYellowRaised, warningRaised: extended.warningRaised)
        #expect(yellows(nearingAgain) == ["a"])
        let sameDay = try project.sweep(today: day("2026-05-07"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                        agentID: nil, itemYellowRaised: nearingAgain.itemYellowRaised, warningRaised: nearingAgain.warningRaised)
        #expect(yellows(sameDay).isEmpty, "said once")
    }

    @Test func anExtensionIsAskedOnceWithinTheItemsMaximumBeforeTheDeadline() throws {
        var project = try accepted()
        #expect(throws: ItemTransitionError.self) { try project.run("2026-04-20", ("a", .requestExtension(days: 11, reason: "x"))) }
        #expect(throws: ItemTransitionError.self) { try project.run("2026-04-20", ("a", .requestExtension(days: 5, reason: " "))) }
        #expect(throws: ItemTransitionError.self) { try project.run("2026-04-20", ("a", .grantExtension)) }
        try project.run("2026-04-20", ("a", .requestExtension(days: 5, reason: "需现场踏勘")))
        #expect(throws: ItemTransitionError.self) { try project.run("2026-04-20", ("a", .requestExtension(days: 3, reason: "again"))) }
        try project.run("2026-04-21", ("a", .refuseExtension(reason: "理由不充分")))
        #expect(project.item("a")?.deadline?.value == day("2026-04-22"))
        #expect(project.item("a")?.timeExtension?.granted == false)
        #expect(throws: ItemTransitionError.self) { try project.run("2026-04-21", ("a", .grantExtension)) }
        // Items whose workflow allows none, and items past their deadline, are not extended.
        var other = try accepted()
        try other.run("2026-04-08", ("b", .submit), ("b", .accept(commitment: nil)))
        #expect(throws: ItemTransitionError.self) { try other.run("2026-04-09", ("b", .requestExtension(days: 1, reason: "x"))) }
        #expect(throws: ItemTransitionError.self) { try other.run("2026-04-23", ("a", .requestExtension(days: 1, reason: "x"))) }
    }

    @Test func anExtensionGrantedWhileTheClockIsStoppedCountsWhenItResumes() throws {
        var project = try accepted()
        try project.run("2026-04-13", ("a", .suspend(.hearing)), ("a", .requestExtension(days: 3, reason: "听证后需复核")))
        try project.run("2026-04-14", ("a", .grantExtension))
        // Three days used (04-09, 10, 13) of 13: ten left from the resumption on Monday 04-20, 劳动节 between.
        try project.run("2026-04-20", ("a", .resume))
        #expect(project.item("a")?.deadline?.value == day("2026-05-07"))
    }

    @Test func aRequestLeftUndecidedLapsesWhenTheItemEnds() throws {
        var project = try accepted()
        try project.run("2026-04-20", ("a", .requestExtension(days: 5, reason: "需现场踏勘")))
        #expect(project.item("a")?.extensionPending == true)
        try project.run("2026-04-21", ("a", .approve))
        #expect(project.item("a")?.extensionPending == false)
        #expect(throws: ItemTransitionError.self) { try project.run("2026-04-21", ("a", .grantExtension)) }
    }

    @Test func aDatePromisedAtAJointReviewBindsTheDepartment() throws {
        var project = try accepted()
        try project.run("2026-04-10", ("a", .promiseDecision(by: day("2026-04-17"))))
        #expect(throws: ItemTransitionError.self) { try project.run("2026-04-13", ("a", .requestExtension(days: 5, reason: "x"))) }
        var asked = try accepted()
        try asked.run("2026-04-10", ("a", .requestExtension(days: 5, reason: "需现场踏勘")), ("a", .promiseDecision(by: day("2026-04-17"))))
        #expect(throws: ItemTransitionError.self) { try asked.run("2026-04-13", ("a", .grantExtension)) }
        #expect(asked.item("a")?.deadline?.value == day("2026-04-17"))
    }

    @Test func anExtensionSurvivesTheSnapshot() throws {
        var project = try accepted()
        try project.run("2026-04-20", ("a", .requestExtension(days: 8, reason: "需组织专家论证")))
        var granted = project
        try granted.run("2026-04-21", ("a", .grantExtension))
        for state in [project, granted] {
            let stored = try ProjectSnapshot(json: state.snapshot(calendar: officialCalendar).json)
            let restored = try #require(Project(workflow: clockTestWorkflow, attributes: state.attributes, startedOn: state.startedOn,
                                                restoring: stored, calendar: officialCalendar))
            #expect(restored == state)
        }
    }
}
