import ApprovalCore
import Testing

@Suite("Joint meeting minutes: absence is consent, promises cap deadlines", .timeLimit(.minutes(5)))
struct MeetingMinutesTests {
    /// Items a (development-reform, 10 days) and b (fire-safety-review, escalates on timeout), both accepted on 03-02.
    func acceptedProject() throws -> Project {
        var project = smallProject()
        for item in ["a", "b"] {
            try project.perform(.submit, on: item, date: day("2026-03-02"), calendar: officialCalendar)
            try project.perform(.accept(commitment: nil), on: item, date: day("2026-03-02"), calendar: officialCalendar)
        }
        return project
    }

    let invitations = ["development-reform": ["a"], "fire-safety-review": ["b"]]

    @Test func aMeetingInvitesEachDepartmentOnceToItsOwnOpenItemsOfTheStage() throws {
        var project = try acceptedProject()
        #expect(try project.scheduleMeeting(stage: "one", on: day("2026-03-04"), as: "2026-03-04",
                                            invitations: [("development-reform", ["a"]), ("fire-safety-review", ["b"])], today: day("2026-03-03"))
                == day("2026-03-04"))
        try project.run("2026-03-03", ("a", .approve))
        do {
            _ = try project.scheduleMeeting(stage: "one", on: day("2026-03-04"), as: "2026-03-04",
                                            invitations: [("development-reform", ["a", "f"]), ("development-reform", ["b"])], today: day("2026-03-03"))
            Issue.record("wrong invitations accepted")
        } catch let .invalid(problems) {
            #expect(problems.map(\.field) == ["invitations[0].items[0]", "invitations[0].items[1]", "invitations[1].department",
                                               "invitations[1].items[0]"])
            #expect(problems[0].detail.contains("already ended"))
        } catch {
            Issue.record("\(error)")
        }
        #expect(throws: MeetingMinutes.Refusal.self) {
            try project.scheduleMeeting(stage: "one", on: day("2026-03-02"), as: "2026-03-02", invitations: [], today: day("2026-03-03"))
        }
        #expect(throws: MeetingMinutes.Refusal.self) {
            try project.scheduleMeeting(stage: "nine", on: day("2026-03-04"), as: "2026-03-04", invitations: [], today: day("2026-03-03"))
        }
    }

    @Test func wrongMinutesChangeNothingAndNameEveryProblem() throws {
        var project = try acceptedProject()
        let before = project
        let minutes = MeetingMinutes(entries: [
            .init(department: "transport", attendance: .attended, promises: []),
            .init(department: "development-reform", attendance: .attended, promises: [.init(item: "b", days: 2)]),
        ])
        do {
            _ = try project.close(meeting: invitations, minutes: minutes, today: day("2026-03-03"), calendar: officialCalendar)
            Issue.record("wrong minutes were applied")
        } catch let .invalid(problems) {
            #expect(problems.map(\.field) == ["attendance[0].department", "attendance", "attendance[1].promisedDays[0].item"])
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(project.items.map(\.state) == before.items.map(\.state))
    }

    @Test func absenceIsConsentUnlessUnsafeAndPromisesBecomeDeadlines() throws {
        var project = try acceptedProject()
        let minutes = MeetingMinutes(entries: [
            .init(department: "development-reform", attendance: .attended, promises: [.init(item: "a", days: 2)]),
            .init(department: "fire-safety-review", attendance: .absent, promises: []),
        ])
        let decisions = try project.close(meeting: invitations, minutes: minutes, today: day("2026-03-03"), calendar: officialCalendar)
        #expect(decisions.count == 2)
        guard case let .itemAction(.promiseDecision(by), before, 2) = decisions.first else { Issue.record("\(decisions)"); return }
        #expect(by == day("2026-03-05") && before.id == "a")
        guard case let .absenceEscalated(item, department, _) = decisions.last else { Issue.record("\(decisions)"); return }
        #expect(item == "b" && department == "fire-safety-review")
        #expect(project.item("b")?.state == .accepted)

        var absentReviewer = try acceptedProject()
        let absent = MeetingMinutes(entries: [.init(department: "development-reform", attendance: .absent, promises: [])])
        let deemed = try absentReviewer.close(meeting: ["development-reform": ["a"]], minutes: absent, today: day("2026-03-03"), calendar: officialCalendar)
        guard case .itemAction(.defaultApprove(.absence), _, nil) = deemed.first else { Issue.record("\(deemed)"); return }
        #expect(absentReviewer.item("a")?.state == .defaultApproved)
    }
}
