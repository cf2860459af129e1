import ApprovalCore
import Testing

@Suite("The deadline engine's visit, decided without PostgreSQL", .timeLimit(.minutes(5)))
struct DeadlineDecisionsTests {
    @Test func timeoutsDocumentsAndWarningsEachOnce() throws {
        var project = smallProject()
        // a: 10 working days, default approval on timeout; b: 5 days, escalated on timeout. Both accepted Monday 03-02.
        for item in ["a", "b"] {
            try project.perform(.submit, on: item, date: day("2026-03-02"), calendar: officialCalendar)
            try project.perform(.accept(commitment: nil), on: item, date: day("2026-03-02"), calendar: officialCalendar)
        }
        var documents: [String: FormalDocument] = [:]
        var progress: ProgressUpdate? = nil
        // A late visit, weeks after both limits: b escalates (03-10), a is deemed approved (03-17) and its formal
        // document, due 03-18, is already overdue: owed and overdue at once, said once.
        let decided = try project.sweep(today: day("2026-04-01"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                        agentID: nil, itemYellowRaised: [], warningRaised: .none)
        let timeouts = decided.decisions.compactMap { decision -> (String, CivilDate)? in
            if case let .timeout(_, before, on, _) = decision { return (before.id, on) }
            return nil
        }
        #expect(timeouts.map(\.0) == ["a", "b"])
        #expect(project.item("a")?.state == .defaultApproved && project.item("b")?.state == .accepted)
        #expect(decided.owed.map(\.itemID) == ["a"] && decided.owed.first?.overdueOn == day("2026-04-01") && decided.goneOverdue.isEmpty)
        #expect(documents["a"]?.overdueOn == day("2026-04-01"))
        let overdueDocuments = decided.decisions.filter { if case .formalDocumentOverdue = $0 { true } else { false } }
        #expect(overdueDocuments.count == 1)

        // The next day's visit finds nothing new to say.
        let again = try project.sweep(today: day("2026-04-02"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                      agentID: nil, itemYellowRaised: decided.itemYellowRaised, warningRaised: decided.warningRaised)
        #expect(again.decisions.isEmpty, "\(again.decisions)")
    }

    @Test func anAgentsMissedNextStepIsOverdueOnce() throws {
        var project = smallProject()
        var documents: [String: FormalDocument] = [:]
        var progress: ProgressUpdate? = ProgressUpdate(id: 9, projectID: 1, kind: .siteVisit, text: "", itemID: nil, nextStepOn: day("2026-03-05"),
                                                       on: day("2026-03-02"), authorName: "代办员 王", followUpOverdueOn: nil)
        let decided = try project.sweep(today: day("2026-03-06"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                        agentID: 7, itemYellowRaised: [], warningRaised: .none)
        #expect(decided.followUpMarked?.followUpOverdueOn == day("2026-03-06"))
        let again = try project.sweep(today: day("2026-03-09"), calendar: officialCalendar, documents: &documents, lastProgress: &progress,
                                      agentID: 7, itemYellowRaised: [], warningRaised: .none)
        #expect(again.followUpMarked == nil)
    }
}
