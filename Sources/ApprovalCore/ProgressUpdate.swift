/// One entry of an agent's progress log.
public struct ProgressUpdate: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case contactedDepartment = "contacted_department", materialsPrepared = "materials_prepared"
        case submittedOnBehalf = "submitted_on_behalf", siteVisit = "site_visit", meetingAttended = "meeting_attended"
        case issueRaised = "issue_raised", other
    }

    public let id: Int64
    public let projectID: Int64
    public let kind: Kind
    public let text: String
    public let itemID: String?
    public let nextStepOn: CivilDate?
    public let on: CivilDate
    public let authorName: String
    /// Set once by the sweeper, the day it found the next step passed without a newer update.
    public let followUpOverdueOn: CivilDate?

    public init(id: Int64, projectID: Int64, kind: Kind, text: String, itemID: String?, nextStepOn: CivilDate?, on: CivilDate,
                authorName: String, followUpOverdueOn: CivilDate?) {
        self.id = id
        self.projectID = projectID
        self.kind = kind
        self.text = text
        self.itemID = itemID
        self.nextStepOn = nextStepOn
        self.on = on
        self.authorName = authorName
        self.followUpOverdueOn = followUpOverdueOn
    }
}


extension ProgressUpdate {
    public func followUpMarkedOverdue(on date: CivilDate) -> ProgressUpdate {
        ProgressUpdate(id: id, projectID: projectID, kind: kind, text: text, itemID: itemID, nextStepOn: nextStepOn, on: on,
                       authorName: authorName, followUpOverdueOn: followUpOverdueOn ?? date)
    }

    /// The agent's promised next step is a day from today on.
    public static func checkNextStep(_ nextStepOn: CivilDate?, today: CivilDate) throws(FieldProblem) {
        if let nextStepOn, nextStepOn < today {
            throw FieldProblem(field: "nextStepOn", detail: "\(nextStepOn) is already past (today is \(today))")
        }
    }

    /// The agent's promised next step while it has not been found overdue: the sweeper must look the night after it.
    public var pendingNextStep: CivilDate? { followUpOverdueOn == nil ? nextStepOn : nil }

    /// The next step passed (its whole day) without a newer update, as of `today`.
    public func followUpIsOverdue(asOf today: CivilDate) -> Bool {
        guard let nextStepOn else { return false }
        return today > nextStepOn
    }
}
