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
