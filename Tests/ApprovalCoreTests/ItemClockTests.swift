import ApprovalCore
import Testing

@Suite("Item clock: stops, resumes, deadlines, timeouts", .timeLimit(.minutes(5)))
struct ItemClockTests {
    @Test func supplementPauseSpanningTheSpringFestival() throws {
        var project = smallProject(startedOn: "2026-02-05")
        try project.run("2026-02-05", ("a", .submit), ("a", .accept(commitment: nil)))
        // 10 working days from Thu 2026-02-05: 6, 9–13, Sat 14 (调休), 24, 25, 26.
        #expect(project.item("a")?.deadline == WorkdayResult(day("2026-02-26"), isProvisional: false))

        try project.run("2026-02-10", ("a", .suspend(.supplement(missingMaterials: ["节能报告", "能源计量器具配备方案"]))))
        let suspended = project.item("a")!
        #expect(suspended.usedDays(asOf: day("2026-02-24"), calendar: officialCalendar) == 3, "the clock stands still while the applicant supplements")
        #expect(suspended.stops.first?.reason == .supplement(missingMaterials: ["节能报告", "能源计量器具配备方案"]))
        #expect(suspended.timeoutDecision(asOf: day("2026-03-10")) == nil, "a stopped clock never times out")

        try project.run("2026-02-25", ("a", .resume))
        // 7 working days left after Wed 2026-02-25: 26, 27, Sat 28 (调休), Mar 2, 3, 4, 5.
        let resumed = project.item("a")!
        #expect(resumed.deadline?.value == day("2026-03-05"))
        #expect(resumed.usedDays(asOf: day("2026-03-05"), calendar: officialCalendar) == 10)
        #expect(resumed.stops.first?.resumedOn == day("2026-02-25"))
        #expect(resumed.timeoutDecision(asOf: day("2026-03-05")) == nil, "the deadline runs to 24:00 of its day")
        #expect(resumed.timeoutDecision(asOf: day("2026-03-06")) == .defaultApprove)
    }

    @Test func aDecisionDatePromisedAtAJointReviewCapsTheDeadline() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)))
        #expect(project.item("a")?.deadline?.value == day("2026-03-16"))  // 10 working days
        try project.run("2026-03-04", ("a", .promiseDecision(by: day("2026-03-06"))))
        #expect(project.item("a")?.deadline?.value == day("2026-03-06"))
        // A later promise does not extend it; the earliest promise survives a supplement pause.
        try project.run("2026-03-04", ("a", .promiseDecision(by: day("2026-03-13"))))
        #expect(project.item("a")?.deadline?.value == day("2026-03-06"))
        try project.run("2026-03-05", ("a", .suspend(.supplement(missingMaterials: ["图纸"]))))
        try project.run("2026-03-09", ("a", .resume))
        #expect(project.item("a")?.deadline?.value == day("2026-03-09"), "a promise already past on resumption means: decide today")
        #expect(throws: ItemTransitionError.self) { try project.run("2026-03-09", ("a", .promiseDecision(by: day("2026-03-02")))) }
    }

    @Test func excludedProceduresStopTheClockToo() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)))
        try project.run("2026-03-04", ("a", .suspend(.expertReview)))
        try project.run("2026-03-20", ("a", .resume))
        try project.run("2026-03-23", ("a", .suspend(.publicNotice)))
        try project.run("2026-03-30", ("a", .resume))
        let item = project.item("a")!
        #expect(item.usedDays(asOf: day("2026-03-30"), calendar: officialCalendar) == 3)
        #expect(item.stops.map(\.reason) == [.expertReview, .publicNotice])
        #expect(item.supplementRequests == 0)
        // 7 left after Mon 2026-03-30: 31, Apr 1, 2, 3, 7, 8, 9 (清明 4/4–4/6 off).
        #expect(item.deadline?.value == day("2026-04-09"))
    }

    @Test func repeatSupplementRequestsAreCounted() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)))
        try project.run("2026-03-03", ("a", .suspend(.supplement(missingMaterials: ["图纸"]))), ("a", .resume))
        #expect(project.item("a")?.repeatSupplementRequests == 0)
        try project.run("2026-03-04", ("a", .suspend(.supplement(missingMaterials: ["图纸说明"]))), ("a", .resume))
        try project.run("2026-03-05", ("a", .suspend(.supplement(missingMaterials: ["签章页"]))))
        #expect(project.item("a")?.supplementRequests == 3)
        #expect(project.item("a")?.repeatSupplementRequests == 2)
    }

    @Test func sameDayRules() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)))
        // Accepted and decided on the same day: the start day is not counted, so no working day was used.
        #expect(project.item("a")?.usedDays(asOf: day("2026-03-02"), calendar: officialCalendar) == 0)
        try project.run("2026-03-02", ("a", .suspend(.hearing)), ("a", .resume))
        #expect(project.item("a")?.deadline?.value == day("2026-03-16"), "a same-day stop and resume leaves the deadline")
        try project.run("2026-03-02", ("a", .approve))
        #expect(project.item("a")?.usedDays(asOf: day("2026-03-20"), calendar: officialCalendar) == 0)
    }

    @Test func escalationInsteadOfSilentApprovalHappensOnce() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("b", .submit), ("b", .accept(commitment: nil)))
        #expect(project.item("b")?.deadline?.value == day("2026-03-09"))
        #expect(project.item("b")?.timeoutDecision(asOf: day("2026-03-09")) == nil)
        #expect(project.item("b")?.timeoutDecision(asOf: day("2026-03-10")) == .escalate)
        #expect(throws: ItemTransitionError.self) { try project.run("2026-03-10", ("b", .defaultApprove(.timeout))) }
        try project.run("2026-03-10", ("b", .escalate))
        #expect(project.item("b")?.state == .accepted, "an escalated item stays open")
        #expect(project.item("b")?.escalatedOn == day("2026-03-10"))
        #expect(project.item("b")?.timeoutDecision(asOf: day("2026-03-11")) == nil, "escalation happens once")
        #expect(throws: ItemTransitionError.self) { try project.run("2026-03-11", ("b", .escalate)) }
        try project.run("2026-03-12", ("b", .approve))
        #expect(project.item("b")?.state == .approved)
    }

    @Test func absenceDefaultApprovesASubmittedItem() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit))
        try project.run("2026-03-04", ("a", .defaultApprove(.absence)))
        #expect(project.item("a")?.state == .defaultApproved)
        #expect(project.item("a")?.defaultApprovalReason == .absence)
        #expect(project.item("c")?.state == .ready, "a default approval releases dependents like an approval")
    }

    @Test func deficiencyCommitmentIsTrackedToItsDueDate() throws {
        var project = smallProject()
        try project.run("2026-03-02", ("a", .submit),
                        ("a", .accept(commitment: DeficiencyCommitment(missingMaterials: ["不动产权证书"], dueDate: day("2026-03-06")))))
        #expect(project.item("a")?.commitment?.isBroken(asOf: day("2026-03-06")) == false)
        #expect(project.item("a")?.commitment?.isBroken(asOf: day("2026-03-09")) == true)
        #expect(ProjectView(project: project, asOf: day("2026-03-09"), calendar: officialCalendar).items.first { $0.id == "a" }?.commitmentBroken == true)
        try project.run("2026-03-05", ("a", .fulfilCommitment))
        #expect(project.item("a")?.commitment?.fulfilledOn == day("2026-03-05"))
        #expect(project.item("a")?.commitment?.isBroken(asOf: day("2026-03-09")) == false)
        #expect(throws: ItemTransitionError.self) { try project.run("2026-03-06", ("a", .fulfilCommitment)) }
    }
}
