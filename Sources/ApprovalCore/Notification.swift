/// Who hears about an event, and why: the reason is kept with each notification.
public enum Audience: String, Sendable, CaseIterable {
    /// The investor's organisation (投资主体).
    case investor
    /// The project's agent (代办员): everything the investor hears, and escalations.
    case agent
    /// The reviewers of the item's department in the project's region: warnings and overdue on their items.
    case department
    /// The reviewers of the stage's lead department (牵头部门): escalations.
    case leadDepartment = "lead_department"
    /// The reviewers of the departments invited to a joint meeting: they must hear of it before it is held.
    case invitedDepartment = "invited_department"
    /// The leaders covering the project's region: escalations and projects turning red.
    case leader
    /// The agency centre (代办中心) covering the project's region: overdue follow-ups and difficult cases.
    case coordinator
}

/// Who is told about what: decided from the event alone, so every writer of events (people, the sweeper, the
/// generator) notifies the same people; the store only finds the recipients and writes the rows.
public enum Notification {
    /// Who hears about an event of this kind, and its title (Chinese, as the approval centre says it).
    /// Events not listed here (creation, renames, meetings closed) notify no one.
    public static func rule(_ event: DomainEvent) -> (audiences: [Audience], title: String)? {
        let applicant: [Audience] = [.investor, .agent]
        switch event {
        case let .item(transition):
            switch transition.action {
            case .accept:
                return (applicant, "事项已受理")
            case let .suspend(reason):
                // 一次性告知: the request lists everything missing, so the payload carries the list.
                if case .supplement = reason { return (applicant, "请一次性补正材料") }
                return (applicant, "事项计时暂停")
            case .approve:
                return (applicant, "事项已批准")
            case .reject:
                return (applicant, "事项不予批准")
            case let .defaultApprove(reason):
                // The department learns it was deemed to approve and owes the formal document.
                return (applicant + [.department], reason == .absence ? "缺席默认：事项视为同意" : "超时默认：事项视为批准")
            case .escalate:
                return ([.agent, .department, .leadDepartment, .leader], "事项超时未决，已提级督办")
            case .requestExtension:
                return ([.department], "延期申请待负责人审批")
            case .grantExtension:
                // The applicant hears why the department takes longer, and until when.
                return (applicant + [.department], "事项办理时限已延长")
            case .refuseExtension:
                return ([.department], "延期申请未获批准")
            case .submit, .resume, .withdraw, .exempt, .fulfilCommitment, .promiseDecision:
                return nil
            }
        case let .agreement(event) where event.change == .authorised && event.onPaper:
            // Someone else recorded the investor's consent: the investor hears of it, so no agreement (and no
            // consent by absence that follows from it) rests on one person's word.
            return ([.investor], "代办中心已登记纸质代办协议")
        case .meetingScheduled:
            return ([.invitedDepartment, .investor, .agent], "联审联办会议通知")
        case .materialIssued:
            return ([.investor, .agent], "批文证照已存入材料库")
        case .meetingAbsenceEscalated:
            return ([.agent, .department, .leadDepartment, .leader], "事项超时未决，已提级督办")
        case .itemWarning:
            return ([.department], "事项即将到期（黄色预警）")
        case let .projectWarning(warning):
            return warning.level == .red
                ? ([.agent, .leader], "项目将超出总时限（红色预警）") : ([.agent], "项目进度黄色预警")
        case .formalDocumentOverdue:
            return ([.department], "默认审批后正式批文逾期未出具")
        case .agentFollowUpOverdue:
            return ([.agent, .coordinator], "代办跟进逾期：下一步计划日期已过")
        case .caseRaised:
            return ([.agent, .coordinator], "疑难会商：新问题待协调")
        case .caseResolved:
            return ([.agent, .investor], "疑难会商已有结论")
        case .agentAssigned, .agentHandedOver:
            return ([.investor, .agent], "代办员已确定")
        case .projectCreated, .projectRenamed, .formalDocumentIssued, .meetingClosed, .agentEnded, .agreement,
             .progressLogged, .rated, .materialAttached, .materialDetached:
            return nil
        }
    }
}
