import ApprovalCore
import Testing

@Suite("Who is told about what", .timeLimit(.minutes(5)))
struct NotificationRuleTests {
    func item(_ action: ItemAction) -> DomainEvent { .item(ItemTransition(action, from: .accepted, to: .accepted)) }
    func warning(_ level: WarningLevel) -> DomainEvent {
        .projectWarning(ProjectWarning(level: level, reason: "forecast", usedDays: 50, forecastDays: 95, totalLimit: 90, criticalPath: []))
    }

    @Test func audiencesAndTitlesFollowTheEvent() {
        #expect(Notification.rule(item(.accept(commitment: nil)))?.audiences == [.investor, .agent])
        #expect(Notification.rule(item(.suspend(.supplement(missingMaterials: ["图纸"]))))?.title == "请一次性补正材料")
        #expect(Notification.rule(item(.suspend(.hearing)))?.title == "事项计时暂停")
        #expect(Notification.rule(item(.defaultApprove(.absence)))?.audiences == [.investor, .agent, .department])
        #expect(Notification.rule(item(.defaultApprove(.absence)))?.title == "缺席默认：事项视为同意")
        #expect(Notification.rule(item(.defaultApprove(.timeout)))?.title == "超时默认：事项视为批准")
        #expect(Notification.rule(.meetingAbsenceEscalated(meeting: 1, department: "a", leadDepartment: "b"))?.audiences
                == [.agent, .department, .leadDepartment, .leader])
        #expect(Notification.rule(warning(.red))?.audiences == [.agent, .leader])
        #expect(Notification.rule(warning(.yellow))?.audiences == [.agent])
        // The invited departments hear of a meeting ahead of it, and so do the investor and the agent.
        #expect(Notification.rule(.meetingScheduled(meeting: 1, kind: "joint_review", stage: "s", scheduledOn: day("2026-03-03"), invitations: [:]))?
                .audiences == [.invitedDepartment, .investor, .agent])
        // An agreement recorded on paper by the agency centre is told to the investor; one the investor signs is not.
        #expect(Notification.rule(.agreement(AgreementEvent(.authorised, agreement: 1, onPaper: true)))?.audiences == [.investor])
        #expect(Notification.rule(.agreement(AgreementEvent(.authorised, agreement: 1))) == nil)
        // Creation, renames, closed meetings and submissions notify no one.
        let silent: [DomainEvent] = [.projectRenamed(from: "a", to: "b"), item(.submit), .meetingClosed(meeting: 1, attendance: [:])]
        for event in silent { #expect(Notification.rule(event) == nil, "\(event.kind)") }
    }
}
