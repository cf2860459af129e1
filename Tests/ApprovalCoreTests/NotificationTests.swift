import ApprovalCore
import Testing

@Suite("Who is told about what", .timeLimit(.minutes(5)))
struct NotificationRuleTests {
    @Test func audiencesAndTitlesFollowTheEvent() {
        #expect(Notification.rule(kind: .item(.accept), payload: [:])?.audiences == [.investor, .agent])
        #expect(Notification.rule(kind: .item(.suspend), payload: ["reason": .string("supplement")])?.title == "请一次性补正材料")
        #expect(Notification.rule(kind: .item(.suspend), payload: ["reason": .string("hearing")])?.title == "事项计时暂停")
        #expect(Notification.rule(kind: .item(.defaultApprove), payload: ["reason": .string("absence")])?.audiences == [.investor, .agent, .department])
        #expect(Notification.rule(kind: .meetingAbsenceEscalated, payload: [:])?.audiences == [.agent, .department, .leadDepartment, .leader])
        #expect(Notification.rule(kind: .projectWarning, payload: ["level": .string("red")])?.audiences == [.agent, .leader])
        #expect(Notification.rule(kind: .projectWarning, payload: ["level": .string("yellow")])?.audiences == [.agent])
        // Creation, renames and scheduled meetings notify no one.
        for kind in [EventKind.projectCreated, .projectRenamed, .meetingScheduled, .item(.submit)] {
            #expect(Notification.rule(kind: kind, payload: [:]) == nil, "\(kind)")
        }
    }
}
