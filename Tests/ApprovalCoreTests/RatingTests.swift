import ApprovalCore
import Foundation
import Testing

@Suite("Ratings (好差评): what may be rated, and for how long", .timeLimit(.minutes(5)))
struct RatingTests {
    func agreement(_ state: AgencyAgreement.State) -> AgencyAgreement {
        AgencyAgreement(id: 1, state: state, scope: ["a"], startsOn: day("2026-03-02"), validUntil: nil, renewals: 0, endedOn: nil, endReason: nil)
    }

    @Test func theAgentOnceTheAgreementEndedAndItemsOnceTheyEnded() throws {
        var project = smallProject()
        #expect(throws: Rating.Refusal.agreementStillActive) { try Rating.subject("agent", of: project, latestAgreement: agreement(.active), agentID: 7) }
        #expect(throws: Rating.Refusal.agreementStillActive) { try Rating.subject("agent", of: project, latestAgreement: nil, agentID: 7) }
        #expect(throws: Rating.Refusal.neverHadAnAgent) { try Rating.subject("agent", of: project, latestAgreement: agreement(.completed), agentID: nil) }
        #expect(try Rating.subject("agent", of: project, latestAgreement: agreement(.terminated), agentID: 7) == .agent(7))
        #expect(throws: Rating.Refusal.unknownSubject("zz")) { try Rating.subject("zz", of: project, latestAgreement: nil, agentID: nil) }
        #expect(throws: Rating.Refusal.itemNotEnded(item: "a", state: .ready)) { try Rating.subject("a", of: project, latestAgreement: nil, agentID: nil) }
        for action in [ItemAction.submit, .accept(commitment: nil), .approve] {
            try project.perform(action, on: "a", date: day("2026-03-02"), calendar: officialCalendar)
        }
        #expect(try Rating.subject("a", of: project, latestAgreement: nil, agentID: nil) == .item("a"))
    }

    @Test func aRatingCanBeChangedForSevenDays() throws {
        let given = Date(timeIntervalSince1970: 1_772_413_200)
        let previous = Rating(subject: .item("a"), score: 3, text: "", firstAt: given, updatedAt: given)
        try Rating.checkMayRate(previous: nil, at: given)
        try Rating.checkMayRate(previous: previous, at: given.addingTimeInterval(7 * 86_400))
        #expect(throws: Rating.Refusal.self) { try Rating.checkMayRate(previous: previous, at: given.addingTimeInterval(7 * 86_400 + 1)) }
    }
}
