import ApprovalAPI
import ApprovalCore
import ApprovalStore

/// Who may see and do what (DOMAIN.md "Who uses it"; issue 3 §5). A project a caller may not see is
/// answered as if it did not exist (404), never 403, so codes of other organisations' projects do not leak.
enum Access {
    static func scope(of user: User) -> ProjectScope {
        switch user.role {
        case .admin: .everything
        case .coordinator, .leader: .region(prefix: user.jurisdiction.prefix)
        case .investor: .organisation(user.organisation ?? "")
        case .agent: .agent(userID: user.id)
        case .reviewer: .department(user.department ?? "", regionPrefix: user.jurisdiction.prefix)
        }
    }

    static func canSee(_ record: ProjectRecord, _ project: Project, user: User) -> Bool {
        canSee(region: record.region, investorOrganisation: record.investorOrganisation, agentID: record.agentID, user: user,
               reviews: reviewingDepartments(project).contains)
    }

    /// The departments with an item that applies to the project: whose reviewers may see it.
    static func reviewingDepartments(_ project: Project) -> Set<String> {
        Set(project.items.filter { $0.state != .notApplicable && $0.state != .exempted }.map(\.definition.department))
    }

    /// The same rule from the project's facts: `reviews` tells whether a department has an item that applies.
    static func canSee(region: String, investorOrganisation: String, agentID: Int64?, user: User, reviews: (String) -> Bool) -> Bool {
        switch user.role {
        case .admin: true
        case .coordinator, .leader: user.jurisdiction.covers(region)
        case .investor: investorOrganisation == user.organisation
        case .agent: agentID == user.id
        case .reviewer: user.jurisdiction.covers(region) && user.department.map(reviews) == true
        }
    }

    /// The item actions of the API and who performs them.
    enum ItemActionKind: String, CaseIterable {
        case submit, resubmit, withdraw, accept, suspend, resume, approve, reject, fulfilCommitment, exempt, recordFormalDocument
        case requestExtension, grantExtension, refuseExtension

        var performers: Set<Role> {
            switch self {
            // Agents act for the investor only within an agency agreement in force (checked with the agreement).
            case .submit, .resubmit: [.investor, .agent, .admin]
            case .withdraw: [.investor, .admin]
            case .accept, .suspend, .resume, .approve, .reject, .fulfilCommitment, .recordFormalDocument, .requestExtension,
                 .grantExtension, .refuseExtension: [.reviewer, .admin]
            case .exempt: [.coordinator, .admin]
            }
        }
    }

    /// Throws 403 when the (visible) project's item is not the caller's to act on.
    static func checkMayPerform(_ kind: ItemActionKind, on item: ItemDefinition, user: User, projectRegion: String? = nil) throws(APIError) {
        try checkMayPerform(kind, itemID: item.id, department: item.department, user: user, projectRegion: projectRegion)
    }

    /// The same rule from the item's id and department (what a queue entry carries).
    static func checkMayPerform(_ kind: ItemActionKind, itemID: String, department: String, user: User, projectRegion: String?) throws(APIError) {
        guard kind.performers.contains(user.role) else {
            let who = kind.performers.subtracting([.admin]).map(\.rawValue).sorted().joined(separator: " or ")
            throw .forbidden("\(kind.rawValue) is done by the \(who), not by a \(user.role.rawValue)")
        }
        if user.role == .reviewer, department != user.department {
            throw .forbidden("item '\(itemID)' is decided by \(department), not by your department \(user.department ?? "")")
        }
        // 经本行政机关负责人批准: an extension is decided by the head of the department, not by the reviewer asking.
        if [.grantExtension, .refuseExtension].contains(kind), user.role == .reviewer, !user.departmentHead || user.region != projectRegion {
            throw .forbidden("an extension of '\(itemID)' is decided by the head of \(department) in the project's region \(projectRegion ?? "")")
        }
    }

    /// Whose queue the caller reads: a reviewer their own department's; a coordinator or an admin any one, or all
    /// (nil) when none is asked for.
    static func queueDepartments(asked: String?, user: User, known: Set<String>) throws(APIError) -> [String]? {
        if let asked, !known.contains(asked) { throw .invalid(field: "department", "unknown department '\(asked)' (GET /v1/departments)") }
        switch user.role {
        case .reviewer:
            guard asked == nil || asked == user.department else {
                throw .forbidden("a reviewer reads the queue of their own department, \(user.department ?? "")")
            }
            return [user.department ?? ""]
        case .coordinator, .admin:
            return asked.map { [$0] }
        default:
            throw .forbidden("the queue is the department windows' and coordinators', not a \(user.role.rawValue)'s")
        }
    }

    static func checkMayCreateProjects(_ user: User) throws(APIError) {
        guard [.investor, .coordinator, .admin].contains(user.role) else {
            throw .forbidden("projects are created by investors, coordinators and admins, not by a \(user.role.rawValue)")
        }
    }

    /// For whom and where the caller may create a project: an investor for its own organisation only (and the
    /// organisation is then theirs without saying), others for the organisation they name; a coordinator only in
    /// their region. Answers the organisation, with the fields at fault.
    static func newProjectOwner(_ organisation: String, region: String, user: User) -> (String, [FieldProblem]) {
        var problems: [FieldProblem] = []
        var owner = organisation
        if user.role == .investor {
            if !organisation.isEmpty, organisation != user.organisation {
                problems.append(.init(field: "investorOrganisation", detail: "an investor creates projects only for its own organisation '\(user.organisation ?? "")'"))
            }
            owner = user.organisation ?? ""
        } else if organisation.isEmpty {
            problems.append(.init(field: "investorOrganisation", detail: "required when a \(user.role.rawValue) creates a project"))
        }
        if user.role == .coordinator, !user.jurisdiction.covers(region) {
            problems.append(.init(field: "region", detail: "\(region) is outside your region \(user.region)"))
        }
        return (owner, problems)
    }

    static func checkMayEditProject(_ user: User) throws(APIError) {
        guard [.investor, .coordinator, .admin].contains(user.role) else {
            throw .forbidden("a project is renamed by its investor, a coordinator or an admin, not by a \(user.role.rawValue)")
        }
    }

    static func checkMayAssignAgents(_ user: User) throws(APIError) {
        guard [.coordinator, .admin].contains(user.role) else {
            throw .forbidden("agents are assigned by coordinators and admins, not by a \(user.role.rawValue)")
        }
    }

    static func checkMayRunMeetings(_ user: User) throws(APIError) {
        guard [.coordinator, .admin].contains(user.role) else {
            throw .forbidden("joint review meetings are run by coordinators and admins, not by a \(user.role.rawValue)")
        }
    }

    /// Who signs which change of an agency agreement: the investor grants, renews and terminates it; the agent
    /// completes it (办结); coordinators and admins may do any of them.
    static func checkMaySign(_ action: Operations.ActOnAgreement.Input.Body.JsonPayload.ActionPayload, user: User) throws(APIError) {
        let signers: Set<Role> = action == .complete ? [.agent, .coordinator, .admin] : [.investor, .coordinator, .admin]
        guard signers.contains(user.role) else {
            let who = signers.subtracting([.admin]).map(\.rawValue).sorted().joined(separator: " or ")
            throw .forbidden("\(action.rawValue) of an agency agreement is done by the \(who), not by a \(user.role.rawValue)")
        }
    }

    /// Progress and difficult cases come from the field: the project's own agent, or a coordinator (or admin).
    static func checkWorksInTheField(_ user: User, on record: ProjectRecord, _ what: String) throws(APIError) {
        switch user.role {
        case .coordinator, .admin: return
        case .agent where record.agentID == user.id: return
        default: throw .forbidden("\(what) by the project's agent or a coordinator, not by a \(user.role.rawValue)")
        }
    }

    static func checkMayRate(_ user: User) throws(APIError) {
        guard user.role == .investor else { throw .forbidden("ratings (好差评) are given by the investor, not by a \(user.role.rawValue)") }
    }

    static func checkMayResolveCases(_ user: User) throws(APIError) {
        guard [.coordinator, .admin].contains(user.role) else {
            throw .forbidden("the consultation's outcome is recorded by a coordinator, not by a \(user.role.rawValue)")
        }
    }

    static func checkAdmin(_ user: User, _ what: String) throws(APIError) {
        guard user.role == .admin else { throw .forbidden("\(what) is for admins") }
    }
}
