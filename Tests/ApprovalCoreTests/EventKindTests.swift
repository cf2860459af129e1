import ApprovalCore
import Testing

@Suite("Event kinds: one list, one text form", .timeLimit(.minutes(5)))
struct EventKindTests {
    /// The stored texts, as every version of the server wrote them: the audit chain hashes them, so none may change.
    static let storedTexts: Set<String> = [
        "project.created", "project.renamed", "formal_document.issued", "formal_document.overdue", "meeting.scheduled",
        "meeting.closed", "meeting.absence_escalated", "agent.assigned", "agent.handed_over", "agent.ended",
        "agent.follow_up_overdue", "progress.logged", "case.raised", "case.resolved", "rating.given", "rating.changed",
        "warning.item", "warning.project", "item.submit", "item.accept", "item.suspend", "item.resume", "item.approve",
        "item.reject", "item.withdraw", "item.default_approve", "item.escalate", "item.exempt", "item.fulfil_commitment",
        "item.promise_decision", "agreement.authorised", "agreement.renewed", "agreement.terminated", "agreement.completed",
        "material.attached", "material.detached", "material.issued",
        "item.request_extension", "item.grant_extension", "item.refuse_extension",
    ]

    @Test func everyKindHasItsStoredTextAndReadsBack() {
        #expect(Set(EventKind.all.map(\.text)) == Self.storedTexts)
        #expect(EventKind.all.count == Self.storedTexts.count)
        for kind in EventKind.all { #expect(EventKind(text: kind.text) == kind) }
        #expect(EventKind(text: "item.teleport") == nil)
    }

    @Test func anItemActionsEventNamesItsCode() {
        #expect(EventKind.item(ItemAction.defaultApprove(.timeout).kind).text == "item.default_approve")
        #expect(EventKind.item(ItemAction.promiseDecision(by: CivilDate(dayNumber: 0)).kind).text == "item.promise_decision")
    }
}
