import ApprovalCore
import Testing

@Suite("Formal documents after a default approval (正式文书)", .timeLimit(.minutes(5)))
struct FormalDocumentTests {
    @Test func recordedOnlyWhenOwedAndOnlyOnce() throws {
        let item = try #require(smallProject().item("a"))
        #expect(throws: FormalDocumentRefusal.self) { try FormalDocument.toRecord(nil, item: item) }
        let owed = FormalDocument.owed(itemID: "a", department: "development-reform", defaultApprovedOn: day("2026-03-16"), dueOn: day("2026-03-17"))
        #expect(try FormalDocument.toRecord(owed, item: item) == owed)
        let issued = FormalDocument(itemID: "a", department: "development-reform", defaultApprovedOn: day("2026-03-16"), dueOn: day("2026-03-17"),
                                    issuedOn: day("2026-03-17"), documentNumber: "温发改〔2026〕12号", overdueOn: nil)
        do {
            _ = try FormalDocument.toRecord(issued, item: item)
            Issue.record("a document recorded twice")
        } catch {
            #expect(error.description.contains("already recorded on 2026-03-17 (温发改〔2026〕12号)"))
        }
    }
}
