import ApprovalCore
import Testing

@Suite("Agency agreement: when an agent may act for the investor (代办)", .timeLimit(.minutes(5)))
struct AgencyAgreementTests {
    func agreement(_ state: AgencyAgreement.State = .active, until: String? = "2026-06-30") -> AgencyAgreement {
        AgencyAgreement(id: 1, state: state, scope: ["project-filing"], startsOn: day("2026-03-02"), validUntil: until.map(day),
                        renewals: 0, endedOn: state == .active ? nil : day("2026-04-01"), endReason: state == .terminated ? "投资主体申请" : nil)
    }

    @Test func onlyWithinAnAgreementInForceAndItsScope() {
        #expect(AgencyAgreement.onBehalfRefusal(latest: agreement(), item: "project-filing", on: day("2026-03-02")) == nil)
        #expect(AgencyAgreement.onBehalfRefusal(latest: agreement(until: nil), item: "project-filing", on: day("2027-01-04")) == nil)
        let refusals = [
            AgencyAgreement.onBehalfRefusal(latest: nil, item: "project-filing", on: day("2026-03-02")),
            AgencyAgreement.onBehalfRefusal(latest: agreement(), item: "project-filing", on: day("2026-02-27")),
            AgencyAgreement.onBehalfRefusal(latest: agreement(), item: "project-filing", on: day("2026-07-01")),
            AgencyAgreement.onBehalfRefusal(latest: agreement(), item: "energy-review", on: day("2026-03-02")),
            AgencyAgreement.onBehalfRefusal(latest: agreement(.terminated), item: "project-filing", on: day("2026-03-02")),
            AgencyAgreement.onBehalfRefusal(latest: agreement(.completed), item: "project-filing", on: day("2026-03-02")),
        ]
        for (refusal, says) in zip(refusals, ["no agency agreement", "starts on 2026-03-02", "expired on 2026-06-30", "outside the agency agreement's scope",
                                              "terminated on 2026-04-01 (投资主体申请)", "completed on 2026-04-01"]) {
            #expect(refusal?.contains(says) == true, "\(refusal ?? "nil") should say \(says)")
        }
    }
}

@Suite("Agency agreement changes: authorise, renew (续办), terminate, complete (办结)", .timeLimit(.minutes(5)))
struct AgencyAgreementChangeTests {
    let project = smallProject()  // a, b, c, f apply; d does not (not a big project); e is exempted
    let today = day("2026-03-02")

    func active() -> AgencyAgreement {
        AgencyAgreement(id: 7, state: .active, scope: ["a"], startsOn: today, validUntil: day("2026-06-30"), renewals: 0, endedOn: nil, endReason: nil)
    }

    @Test func authorisingChecksTheScopeAgainstTheProjectAndNeedsNoAgreementInForce() throws {
        let terms = try AgencyAgreement.authorise(current: nil, scope: ["c", "a", "a"], startsOn: nil, validUntil: nil, project: project, today: today)
        #expect(terms == AgreementTerms(scope: ["a", "c"], startsOn: today, validUntil: nil))
        #expect(throws: AgreementRefusal.alreadyActive(agreement: 7)) {
            try AgencyAgreement.authorise(current: active(), scope: ["a"], startsOn: nil, validUntil: nil, project: project, today: today)
        }
        #expect(throws: AgreementRefusal.invalid([.init(field: "scope[0]", detail: "'zz' is not an item of workflow clock-test"),
                                                   .init(field: "scope[1]", detail: "'d' does not apply to this project")])) {
            try AgencyAgreement.authorise(current: nil, scope: ["zz", "d"], startsOn: nil, validUntil: nil, project: project, today: today)
        }
        #expect(throws: AgreementRefusal.invalid([.init(field: "validUntil", detail: "2026-03-01 is before the start 2026-03-02")])) {
            try AgencyAgreement.authorise(current: nil, scope: ["a"], startsOn: nil, validUntil: day("2026-03-01"), project: project, today: today)
        }
    }

    @Test func renewingMovesTheEndAndCountsTerminatingNeedsAReason() throws {
        var agreement = active()
        try agreement.renew(until: day("2026-12-31"), scope: ["a", "b"], project: project, today: today)
        #expect(agreement.validUntil == day("2026-12-31") && agreement.renewals == 1 && agreement.scope == ["a", "b"])
        #expect(throws: AgreementRefusal.self) { try agreement.renew(until: day("2026-03-01"), scope: nil, project: project, today: today) }
        #expect(throws: AgreementRefusal.self) { try agreement.renew(until: nil, scope: nil, project: project, today: today) }
        #expect(throws: AgreementRefusal.self) { try agreement.terminate(reason: "  ", today: today) }
        try agreement.terminate(reason: " 投资主体申请 ", today: today)
        #expect(agreement.state == .terminated && agreement.endReason == "投资主体申请" && agreement.endedOn == today)
    }

    @Test func completionWaitsForEveryApplicableItem() throws {
        var agreement = active()
        #expect(throws: AgreementRefusal.itemsOpen(["a", "b", "c", "f"])) { try agreement.complete(project: project, today: today) }
        var finished = project
        try finished.run("2026-03-02", ("a", .submit), ("a", .accept(commitment: nil)), ("a", .approve),
                         ("b", .submit), ("b", .accept(commitment: nil)), ("b", .approve))
        try finished.run("2026-03-03", ("c", .submit), ("c", .accept(commitment: nil)), ("c", .approve))
        try finished.run("2026-03-04", ("f", .submit), ("f", .accept(commitment: nil)), ("f", .approve))
        try agreement.complete(project: finished, today: day("2026-03-04"))
        #expect(agreement.state == .completed && agreement.endedOn == day("2026-03-04"))
    }
}

@Suite("Agent follow-up (代办跟进)", .timeLimit(.minutes(5)))
struct FollowUpTests {
    @Test func overdueTheDayAfterTheNextStepAndMarkedOnce() {
        let update = ProgressUpdate(id: 1, projectID: 1, kind: .siteVisit, text: "上门核对材料", itemID: nil, nextStepOn: day("2026-03-05"),
                                    on: day("2026-03-02"), authorName: "代办员 王", followUpOverdueOn: nil)
        #expect(!update.followUpIsOverdue(asOf: day("2026-03-05")))
        #expect(update.followUpIsOverdue(asOf: day("2026-03-06")))
        let marked = update.followUpMarkedOverdue(on: day("2026-03-06")).followUpMarkedOverdue(on: day("2026-03-09"))
        #expect(marked.followUpOverdueOn == day("2026-03-06"))
        let noNextStep = ProgressUpdate(id: 2, projectID: 1, kind: .other, text: "", itemID: nil, nextStepOn: nil, on: day("2026-03-02"),
                                        authorName: "代办员 王", followUpOverdueOn: nil)
        #expect(!noNextStep.followUpIsOverdue(asOf: day("2027-01-04")))
    }
}

@Suite("Difficult cases (疑难会商) and progress updates: what the field may record", .timeLimit(.minutes(5)))
struct FieldRecordTests {
    let open = DifficultCase(id: 4, itemID: "a", title: "意见冲突", description: "规划与消防冲突", raisedOn: day("2026-03-02"), raisedBy: "代办员",
                             meetingOn: nil, outcome: nil, resolvedOn: nil)

    @Test func aCaseIsSettledOnceByAMeetingBetweenItsRaisingAndToday() throws {
        try open.checkResolvable(meetingOn: day("2026-03-05"), today: day("2026-03-06"))
        #expect(throws: DifficultCase.Refusal.self) { try open.checkResolvable(meetingOn: day("2026-03-01"), today: day("2026-03-06")) }
        #expect(throws: DifficultCase.Refusal.self) { try open.checkResolvable(meetingOn: day("2026-03-07"), today: day("2026-03-06")) }
        let settled = DifficultCase(id: 4, itemID: "a", title: "", description: "", raisedOn: day("2026-03-02"), raisedBy: "", meetingOn: day("2026-03-05"),
                                    outcome: "以规划为准", resolvedOn: day("2026-03-05"))
        #expect(throws: DifficultCase.Refusal.resolved(on: day("2026-03-05"), outcome: "以规划为准")) {
            try settled.checkResolvable(meetingOn: day("2026-03-05"), today: day("2026-03-06"))
        }
    }

    @Test func anUpdateNamesAnItemOfTheProjectAndANextStepFromTodayOn() throws {
        let project = smallProject()
        try project.checkNamesItem("a")
        try project.checkNamesItem(nil)
        #expect(throws: FieldProblem(field: "item", detail: "'zz' is not an item of this project")) { try project.checkNamesItem("zz") }
        try ProgressUpdate.checkNextStep(day("2026-03-02"), today: day("2026-03-02"))
        #expect(throws: FieldProblem.self) { try ProgressUpdate.checkNextStep(day("2026-03-01"), today: day("2026-03-02")) }
    }
}

@Suite("One project, one agent (一个项目、一人代办)", .timeLimit(.minutes(5)))
struct ProjectAgentTests {
    func candidate(active: Bool = true, region: String = "330302", carrying: Int = 3, capacity: Int = 20) -> ProjectAgent.Candidate {
        ProjectAgent.Candidate(id: 9, name: "代办员 王", active: active, region: region, activeProjects: carrying, capacity: capacity)
    }

    @Test func anAgentIsAssignedOnceAndMustBeActiveServeTheRegionAndHaveRoom() throws {
        try ProjectAgent.checkAssign(current: nil, candidate: candidate(), requested: 9, projectRegion: "330302")
        try ProjectAgent.checkAssign(current: nil, candidate: candidate(region: "330300"), requested: 9, projectRegion: "330302")  // the city's agent
        #expect(throws: ProjectAgent.Refusal.alreadyAssigned(current: 7)) {
            try ProjectAgent.checkAssign(current: 7, candidate: candidate(), requested: 9, projectRegion: "330302")
        }
        for (unsuitable, says) in [(nil, "is not an agent"), (candidate(active: false), "not active"), (candidate(region: "330100"), "serves region 330100"),
                                   (candidate(carrying: 20), "capacity of 20")] as [(ProjectAgent.Candidate?, String)] {
            do {
                try ProjectAgent.checkAssign(current: nil, candidate: unsuitable, requested: 9, projectRegion: "330302")
                Issue.record("accepted: \(says)")
            } catch let .unsuitable(problem) {
                #expect(problem.field == "agentId" && problem.detail.contains(says), "\(problem)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func aHandoverGoesFromTheCurrentAgentToAnother() throws {
        #expect(try ProjectAgent.checkHandOver(current: 7, candidate: candidate(), requested: 9, projectRegion: "330302") == 7)
        #expect(throws: ProjectAgent.Refusal.noAgent) {
            try ProjectAgent.checkHandOver(current: nil, candidate: candidate(), requested: 9, projectRegion: "330302")
        }
        #expect(throws: ProjectAgent.Refusal.self) {
            try ProjectAgent.checkHandOver(current: 9, candidate: candidate(), requested: 9, projectRegion: "330302")
        }
    }

    @Test func minutesAreRecordedOnceFromTheMeetingsDayOn() throws {
        try MeetingMinutes.checkMayRecord(closedOn: nil, scheduledOn: day("2026-03-02"), today: day("2026-03-02"))
        #expect(throws: MeetingMinutes.Refusal.self) {
            try MeetingMinutes.checkMayRecord(closedOn: nil, scheduledOn: day("2026-03-03"), today: day("2026-03-02"))
        }
        #expect(throws: MeetingMinutes.Refusal.self) {
            try MeetingMinutes.checkMayRecord(closedOn: day("2026-03-02"), scheduledOn: day("2026-03-02"), today: day("2026-03-04"))
        }
    }
}
