import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import Hummingbird

/// The working pages' reads: the project list, a project, the department's queue.
extension WorkPages {
    /// Projects in progress first, then red, yellow, a next step due, and the fewest days left.
    func projectsPage(_ request: Request, user: User) async throws -> Response {
        let limit = 200
        let page = try await api.call("listProjects", as: user, path: "/projects?limit=\(limit)") { handler in
            try await handler.listProjects(.init(query: .init(limit: limit))).ok.body.json
        }
        let today = context.today.description
        let urgency: [Components.Schemas.WarningLevel: Int] = [.red: 0, .yellow: 1, .none: 2]
        func key(_ project: Components.Schemas.ProjectSummary) -> (Int, Int, Int, Int) {
            (project.state == .completed ? 1 : 0, urgency[project.warning] ?? 2,
             project.nextStepOn.map { $0 <= today ? 0 : 1 } ?? 1, project.totalLimit - project.usedDays)
        }
        let projects = page.projects.sorted { key($0) < key($1) }
        let heading = switch user.role {
        case .agent: "我代办的项目"
        case .investor: "本单位的项目"
        default: "项目"
        }
        return site.page("m-projects", [
            "title": heading, "heading": heading, "done": Self.done(request) as Any, "more": page.nextCursor != nil, "limit": limit,
            "projects": projects.map { project in
                [
                    "code": project.code, "name": project.name, "region": project.region,
                    "stage": project.state == .completed ? "已办结" : stageName(project.currentStage, workflow: project.workflow),
                    "usedDays": project.usedDays, "totalLimit": project.totalLimit,
                    "warning": project.warning.rawValue, "warningName": PageSite.warningNames[project.warning.rawValue] ?? "",
                    "nextStepOn": project.nextStepOn as Any, "nextStepDue": project.state != .completed && project.nextStepOn.map { $0 <= today } == true,
                ] as [String: Any]
            },
        ], user: user)
    }

    func projectPage(_ code: String, request: Request, user: User, session: String) async throws -> Response {
        let status = try await api.call("getProjectStatus", as: user, path: "/projects/\(code)", pathParameters: ["code": code]) { handler in
            try await handler.getProjectStatus(.init(path: .init(code: code))).ok.body.json
        }
        let workflow = context.registry.versions.values.first { $0.id == status.workflow.id && $0.version == status.workflow.version }
        let fieldWork = [.agent, .coordinator, .admin].contains(user.role)
        let progress = fieldWork || user.role == .investor ? try await api.call("listProgress", as: user, path: "/projects/\(code)/progress",
                                                                               pathParameters: ["code": code]) { handler in
            try await handler.listProgress(.init(path: .init(code: code))).ok.body.json.updates
        } : []
        let ratings = user.role == .investor ? try await api.call("listRatings", as: user, path: "/projects/\(code)/ratings",
                                                                  pathParameters: ["code": code]) { handler in
            try await handler.listRatings(.init(path: .init(code: code))).ok.body.json.ratings
        } : []
        // Whom to call about an item: its department's windows serving the project's region.
        let windows = try await api.call("listDepartments", as: user, path: "/departments?region=\(status.region)") { handler in
            try await handler.listDepartments(.init(query: .init(region: status.region))).ok.body.json.departments
        }.reduce(into: [String: [[String: Any]]]()) { contacts, department in
            contacts[department.id] = (department.windows ?? []).map { ["name": $0.name, "phone": $0.phone] }
        }
        let back = "/m/projects/\(code)"
        let form = FormContext(csrf: PageSite.formToken(session: session), back: back)
        let departments = context.registry.catalog.departments
        let items = status.items.filter { $0.state != .notApplicable }
        var values: [String: Any] = [
            "title": status.name, "name": status.name, "code": status.code, "workflowName": workflow?.name ?? status.workflow.id,
            "investor": status.investorOrganisation, "region": status.region, "startedOn": status.startedOn,
            "usedDays": status.clock.usedDays, "totalLimit": status.clock.totalLimit,
            "warning": status.clock.warning.rawValue, "warningName": PageSite.warningNames[status.clock.warning.rawValue] ?? "",
            "completionDate": status.forecast.completionDate ?? "—", "provisional": status.forecast.provisional,
            "expectedDate": status.expectedForecast.completionDate ?? "—", "expectedPasses": status.expectedForecast.passesTotalLimit,
            "expectedDays": status.expectedForecast.totalDays,
            "followUpOverdue": status.agency?.followUpOverdue == true, "showProgress": fieldWork || user.role == .investor,
        ]
        values["done"] = Self.done(request)
        values["stage"] = status.state == .completed ? "已办结" : stageName(status.currentStage, workflow: status.workflow.id)
        values["agentNextStepOn"] = status.agency?.nextStepOn
        if let agent = status.agent { values["agent"] = ["name": agent.name, "phone": agent.phone as Any] as [String: Any] }
        values["nextSteps"] = status.nextSteps.map { step -> [String: Any] in
            ["item": items.first { $0.id == step.item }?.name ?? step.item, "action": Self.nextStepNames[step.action.rawValue] ?? step.action.rawValue,
             "detail": step.detail, "dueDate": step.dueDate as Any]
        }
        values["items"] = items.map { item in
            var shown = itemValues(item, project: status.code, projectRegion: status.region, definition: workflow?.item(item.id), departments: departments, user: user, form: form,
                                   rated: ratings.contains { $0.subject == item.id })
            shown["windows"] = windows[item.department] ?? []
            return shown
        }
        values["progress"] = progress.prefix(10).map { update -> [String: Any] in
            ["on": update.on, "kind": Self.progressKindNames[update.kind.rawValue] ?? update.kind.rawValue, "text": update.text,
             "author": update.author, "nextStepOn": update.nextStepOn as Any]
        }
        if fieldWork {
            let kinds = Self.progressKindNames.sorted { $0.key < $1.key }.map { ["value": $0.key, "label": $0.value] }
            values["fieldWork"] = ["form": form.values(), "kinds": kinds, "items": items.map { ["id": $0.id, "name": $0.name] },
                                   "caseForm": form.values()] as [String: Any]
        }
        return site.page("m-project", values, user: user)
    }

    func queuePage(_ request: Request, user: User, session: String) async throws -> Response {
        let asked = PageSite.parameter(request, "bucket").flatMap(Components.Schemas.QueueEntry.BucketPayload.init(rawValue:))
        // A coordinator's (or an admin's) choice of one department; the API refuses one it does not know.
        let department = PageSite.parameter(request, "department")
        let offset = max(0, min(100_000, PageSite.parameter(request, "offset").flatMap { Int($0) } ?? 0))
        let limit = 20
        var query = "limit=\(limit)&offset=\(offset)"
        if let asked { query += "&bucket=\(asked.rawValue)" }
        if let department { query += "&department=" + (department.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
        let queue = try await api.call("getQueue", as: user, path: "/queue?" + query) { handler in
            try await handler.getQueue(.init(query: .init(bucket: asked.flatMap { .init(rawValue: $0.rawValue) }, department: department,
                                                          limit: limit, offset: offset))).ok.body.json
        }
        let counts = Self.bucketCounts(queue.counts)
        // Without a choice, the first bucket with work in it, in the order a window clears them.
        let bucket = asked ?? counts.first { $0.1 > 0 }?.0 ?? .toAccept
        let total = counts.first { $0.0 == bucket }?.1 ?? 0
        let scope = department.map { "&department=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        let here = "/m/queue?bucket=\(bucket.rawValue)" + scope
        let form = FormContext(csrf: PageSite.formToken(session: session), back: here)
        let departments = context.registry.catalog.departments
        return site.page("m-queue", [
            "title": "待办", "done": Self.done(request) as Any, "department": queue.department.flatMap { departments[$0]?.name } as Any,
            "buckets": counts.map { ["href": "/m/queue?bucket=\($0.0.rawValue)" + scope, "label": Self.bucketNames[$0.0.rawValue] ?? $0.0.rawValue,
                                     "count": $0.1, "current": $0.0 == bucket] as [String: Any] },
            "showDepartments": queue.byDepartment != nil,
            "byDepartment": (queue.byDepartment ?? []).map { row in
                ["href": "/m/queue?department=" + row.department, "name": row.name,
                 "counts": Self.bucketCounts(row.counts).filter { $0.1 > 0 }.map { ["label": Self.bucketNames[$0.0.rawValue] ?? "", "count": $0.1] }]
                    as [String: Any]
            },
            "bucketName": Self.bucketNames[bucket.rawValue] ?? "", "total": total,
            "previous": offset > 0 ? here + "&offset=\(max(0, offset - limit))" : false,
            "next": offset + limit < total ? here + "&offset=\(offset + limit)" : false,
            "entries": queue.entries.filter { $0.bucket == bucket }.map { entry in
                [
                    "project": entry.project, "projectName": entry.projectName, "item": entry.item, "itemName": entry.itemName,
                    "department": departments[entry.department]?.shortName ?? entry.department, "since": entry.since,
                    "deadline": entry.deadline as Any, "remainingDays": entry.remainingDays.map(Self.daysLeft) as Any, "dueOn": entry.dueOn as Any,
                    "overdue": entry.overdue == true, "waitingFor": entry.waitingFor as Any,
                    "warning": entry.warning?.rawValue ?? "none", "warningName": entry.warning.flatMap { PageSite.warningNames[$0.rawValue] } as Any,
                    "actions": Self.queueActions(entry, user: user).map { form.action($0, project: entry.project, item: entry.item) },
                ] as [String: Any]
            },
        ], user: user)
    }

    // MARK: Values

    private func itemValues(_ item: Components.Schemas.ItemStatus, project: String, projectRegion: String, definition: ItemDefinition?, departments: [String: Department], user: User,
                            form: FormContext, rated: Bool) -> [String: Any] {
        var values: [String: Any] = [
            "id": item.id, "name": item.name, "department": departments[item.department]?.name ?? item.department,
            "state": Self.stateNames[item.state.rawValue] ?? item.state.rawValue, "stateSince": item.stateSince as Any,
            "limit": item.limit, "usedDays": item.usedDays, "overdue": item.overdue,
            // Every name the template asks of an item is set, if only to false: one left out would be looked up in
            // the page's values instead.
            "deadline": false, "remainingDays": false, "suspension": false, "commitment": false, "extension": false,
            "formalDocument": false, "rating": false, "warning": item.warning.rawValue, "warningName": PageSite.warningNames[item.warning.rawValue] ?? "",
        ]
        // An ended item's deadline and days left no longer say anything to act on.
        if [.submitted, .accepted, .suspended].contains(item.state) {
            values["deadline"] = item.deadline
            values["remainingDays"] = item.remainingDays.map(Self.daysLeft)
        }
        if let suspension = item.suspension {
            let named = (suspension.requirements ?? []).map { requested in
                (item.materials?.first { $0.requirement == requested.requirement }?.name ?? requested.requirement) + (requested.answered ? "（已补）" : "")
            }
            values["suspension"] = ["reason": Self.suspensionNames[suspension.reason] ?? suspension.reason, "since": suspension.since,
                                    "materials": (named + (suspension.missingMaterials ?? [])).joined(separator: "、")]
        }
        if let commitment = item.commitment, commitment.fulfilledOn == nil {
            values["commitment"] = ["dueDate": commitment.dueDate, "broken": commitment.broken]
        }
        if let extensionAsked = item._extension {
            values["extension"] = ["days": extensionAsked.days, "reason": extensionAsked.reason,
                                   "decision": extensionAsked.granted.map { $0 ? "已批准" : "未批准" } ?? "待负责人审批"]
        }
        if let document = item.formalDocument {
            values["formalDocument"] = ["dueOn": document.dueOn, "documentNumber": document.documentNumber as Any]
        }
        let actions = Self.itemActions(item, definition: definition, user: user, projectRegion: projectRegion)
        values["actions"] = actions.map { form.action($0, project: project, item: item.id, materials: item.materials ?? []) }
        if user.role == .investor, ItemState(rawValue: item.state.rawValue).map(Rating.isRateable) == true, !rated {
            values["rating"] = form.values()
        }
        return values
    }

    private func stageName(_ stage: String?, workflow: String) -> String {
        guard let stage else { return "—" }
        let definition = context.registry.currentVersion(of: workflow)?.definition
        return definition?.stages.first { $0.id == stage }?.name ?? stage
    }

    /// Working days left to a deadline, or past it.
    static func daysLeft(_ days: Int) -> String {
        days >= 0 ? "剩余 \(days) 个工作日" : "已超期 \(-days) 个工作日"
    }

    /// A queue's counts in the order a window clears them.
    static func bucketCounts(_ counts: Components.Schemas.QueueCounts) -> [(Components.Schemas.QueueEntry.BucketPayload, Int)] {
        [(.toAccept, counts.toAccept), (.toDecide, counts.toDecide), (.extensionsToDecide, counts.extensionsToDecide),
         (.formalDocumentsOwed, counts.formalDocumentsOwed), (.commitmentsDue, counts.commitmentsDue), (.waitingOnApplicant, counts.waitingOnApplicant)]
    }

    static func done(_ request: Request) -> String? {
        PageSite.parameter(request, "done").flatMap { doneMessages[$0] }
    }

    static let stateNames = [
        "blocked": "待前置事项", "ready": "可申报", "submitted": "待受理", "accepted": "审查中", "suspended": "暂停计时", "approved": "已批准",
        "rejected": "不予许可", "default_approved": "超时默认通过", "withdrawn": "已撤回", "not_applicable": "不适用", "exempted": "免于办理",
    ]
    static let suspensionNames = [
        "supplement": "补正材料", "hearing": "听证", "expert_review": "专家评审", "public_notice": "公示", "intermediary_work": "中介服务",
        "inspection_testing": "检验检测", "appraisal": "鉴定", "bidding_auction": "招标拍卖",
    ]
    static let progressKindNames = [
        "contacted_department": "联系部门", "materials_prepared": "准备材料", "submitted_on_behalf": "代为提交", "site_visit": "现场服务",
        "meeting_attended": "参加会议", "issue_raised": "反映问题", "other": "其他",
    ]
    static let nextStepNames = ["submit": "提交申请", "resubmit": "补正后重新提交", "supply_committed_materials": "补齐容缺材料"]
    static let bucketNames = [
        "to_accept": "待受理", "to_decide": "审查中", "extensions_to_decide": "延期审批", "formal_documents_owed": "待补发文书",
        "commitments_due": "容缺待补", "waiting_on_applicant": "等待申请人",
    ]
}
