import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import Hummingbird

/// The working pages (移动端, `/m`): server-rendered Chinese pages for the people who do the daily work on a
/// phone — the agent's projects and progress log, the department window's queue with its item actions, the
/// investor's projects, next steps and ratings. They work without JavaScript and print. Every read and every
/// form goes through the API's own handlers (`PageAPI`), so the pages follow the API's rules and access checks
/// and nothing else; a form carries the session's CSRF value and an idempotency key, so a double tap on a slow
/// connection does one thing.
struct WorkPages {
    let site: PageSite
    let api: PageAPI

    init(context: ServerContext) throws {
        let (library, _) = try PageSite.templates()
        site = PageSite(context: context, library: library, base: "/m", readers: Set(Role.allCases), refusal: "代办员、审批窗口、投资人和代办中心")
        api = try PageAPI(context: context)
    }

    var context: ServerContext { site.context }

    func add(to router: Router<BasicRequestContext>) {
        site.addSessionRoutes(to: router, home: "/m")
        router.get("/m") { request, _ in
            try await site.signedIn(request) { user, _ in PageSite.redirect(user.role == .reviewer ? "/m/queue" : "/m/projects") }
        }
        router.get("/m/projects") { request, _ in
            try await site.signedIn(request) { user, _ in try await projectsPage(request, user: user) }
        }
        router.get("/m/projects/:code") { request, requestContext in
            let code = requestContext.parameters.get("code") ?? ""
            return try await site.signedIn(request) { user, session in try await projectPage(code, request: request, user: user, session: session) }
        }
        router.get("/m/queue") { request, _ in
            try await site.signedIn(request) { user, session in try await queuePage(request, user: user, session: session) }
        }
        router.post("/m/projects/:code/items/:item/action") { request, requestContext in
            let (code, item) = (requestContext.parameters.get("code") ?? "", requestContext.parameters.get("item") ?? "")
            return try await posted(request) { user, form in try await performAction(code: code, item: item, form: form, user: user) }
        }
        router.post("/m/projects/:code/progress") { request, requestContext in
            let code = requestContext.parameters.get("code") ?? ""
            return try await posted(request) { user, form in try await logProgress(code: code, form: form, user: user) }
        }
        router.post("/m/projects/:code/cases") { request, requestContext in
            let code = requestContext.parameters.get("code") ?? ""
            return try await posted(request) { user, form in try await raiseCase(code: code, form: form, user: user) }
        }
        router.post("/m/projects/:code/ratings") { request, requestContext in
            let code = requestContext.parameters.get("code") ?? ""
            return try await posted(request) { user, form in try await rate(code: code, form: form, user: user) }
        }
    }

    // MARK: Forms

    /// A form of this site: signed in, carrying the session's CSRF value. What it did is shown on the page named
    /// by `back` (one of this site's own pages); what the API refused is shown with its reason and status.
    private func posted(_ request: Request, _ perform: (User, PageForm) async throws -> String) async throws -> Response {
        try await site.signedIn(request) { user, session in
            let form = try await PageForm(request)
            guard form["csrf"] == PageSite.formToken(session: session) else {
                return site.page("message", ["title": "表单已过期", "error": "表单已过期或来自其他网站，请返回页面后重新提交。"], user: user, status: .forbidden)
            }
            let back = form.back
            do {
                let done = try await perform(user, form)
                return PageSite.redirect(back + (back.contains("?") ? "&" : "?") + "done=" + done)
            } catch let error as APIError {
                let details = error.errors.map { "\($0.field)：\($0.detail)" }
                return site.page("message", ["title": "未能完成", "error": "未能完成（\(error.status)）：\(error.detail)", "details": details, "back": back],
                                 user: user, status: .init(code: error.status))
            }
        }
    }

    private func performAction(code: String, item: String, form: PageForm, user: User) async throws -> String {
        guard let action = form["action"].flatMap(Components.Schemas.ItemActionRequest.ActionPayload.init(rawValue:)) else {
            throw APIError.badRequest("unknown action '\(form["action"] ?? "")'", field: "action")
        }
        var body = Components.Schemas.ItemActionRequest(action: action)
        let requirements = form.all("requirement").filter { !$0.isEmpty }
        let missing = form.lines("missing")
        switch action {
        case .accept:
            if let due = form["dueDate"] {
                body.commitment = .init(requirements: requirements.isEmpty ? nil : requirements, missingMaterials: missing.isEmpty ? nil : missing, dueDate: due)
            } else if !requirements.isEmpty || !missing.isEmpty {
                throw APIError.invalid(field: "dueDate", "容缺受理须填写承诺补齐日期")
            }
        case .suspend:
            let reason: Components.Schemas.ItemActionRequest.SuspensionPayload.ReasonPayload
            if let asked = form["suspension"] {
                guard let known = Components.Schemas.ItemActionRequest.SuspensionPayload.ReasonPayload(rawValue: asked) else {
                    throw APIError.invalid(field: "suspension", "未知的暂停事由 '\(asked)'")
                }
                reason = known
            } else {
                reason = .supplement
            }
            body.suspension = .init(reason: reason, requirements: requirements.isEmpty ? nil : requirements, missingMaterials: missing.isEmpty ? nil : missing)
        case .requestExtension:
            body.extensionDays = try form.number("extensionDays")
            body.reason = form["reason"]
        case .reject, .refuseExtension:
            body.reason = form["reason"]
        case .recordFormalDocument:
            body.documentNumber = form["documentNumber"]
        default:
            break
        }
        let path = "/projects/\(code)/items/\(item)/actions"
        _ = try await api.call("performItemAction", as: user, path: path, pathParameters: ["code": code, "item": item], body: body,
                               idempotencyKey: form.idempotencyKey) { handler in
            try await handler.performItemAction(.init(path: .init(code: code, item: item), headers: .init(idempotencyKey: form.idempotencyKey),
                                                      body: .json(body))).ok
        }
        return action.rawValue
    }

    private func logProgress(code: String, form: PageForm, user: User) async throws -> String {
        guard let kind = Components.Schemas.ProgressKind(rawValue: form["kind"] ?? "") else {
            throw APIError.invalid(field: "kind", "未知的进展类型 '\(form["kind"] ?? "")'")
        }
        let body = Operations.LogProgress.Input.Body.JsonPayload(kind: kind, text: form["text"] ?? "", item: form["item"], nextStepOn: form["nextStepOn"])
        _ = try await api.call("logProgress", as: user, path: "/projects/\(code)/progress", pathParameters: ["code": code], body: body,
                               idempotencyKey: form.idempotencyKey) { handler in
            try await handler.logProgress(.init(path: .init(code: code), headers: .init(idempotencyKey: form.idempotencyKey), body: .json(body))).created
        }
        return "progress"
    }

    private func raiseCase(code: String, form: PageForm, user: User) async throws -> String {
        let body = Operations.RaiseDifficultCase.Input.Body.JsonPayload(title: form["title"] ?? "", description: form["description"] ?? "", item: form["item"])
        _ = try await api.call("raiseDifficultCase", as: user, path: "/projects/\(code)/cases", pathParameters: ["code": code], body: body,
                               idempotencyKey: form.idempotencyKey) { handler in
            try await handler.raiseDifficultCase(.init(path: .init(code: code), headers: .init(idempotencyKey: form.idempotencyKey), body: .json(body))).created
        }
        return "case"
    }

    private func rate(code: String, form: PageForm, user: User) async throws -> String {
        let body = Operations.Rate.Input.Body.JsonPayload(subject: form["subject"] ?? "", score: try form.number("score"), text: form["text"] ?? "")
        _ = try await api.call("rate", as: user, path: "/projects/\(code)/ratings", pathParameters: ["code": code], body: body,
                               idempotencyKey: form.idempotencyKey) { handler in
            try await handler.rate(.init(path: .init(code: code), headers: .init(idempotencyKey: form.idempotencyKey), body: .json(body))).ok
        }
        return "rating"
    }

    static let doneMessages = [
        "accept": "已受理，开始计时。", "suspend": "已发出补正通知（一次性告知），计时暂停。", "resume": "已恢复计时。", "approve": "已批准。",
        "reject": "已作出不予许可决定。", "fulfilCommitment": "容缺材料已补齐。", "recordFormalDocument": "正式文书已登记。",
        "requestExtension": "延期申请已提交，等待负责人审批。", "grantExtension": "已批准延期，期限顺延。", "refuseExtension": "已不同意延期。",
        "submit": "已提交申请。", "resubmit": "已提交补正材料。", "withdraw": "已撤回申请。", "exempt": "已免于办理。",
        "progress": "进展已记录。", "case": "疑难问题已提交代办中心。", "rating": "评价已提交，谢谢。",
    ]
}

/// A posted form: its fields as a browser sends them (a check box's name once per ticked box).
struct PageForm {
    private let first: [String: String]
    private let values: [String: [String]]

    init(_ request: Request) async throws {
        (first, values) = try await PageSite.formValues(request)
    }

    /// A field's value with surrounding blanks removed; nil when empty (an empty field means not given).
    subscript(_ name: String) -> String? {
        guard let value = first[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// A text area's non-empty lines.
    func lines(_ name: String) -> [String] {
        (self[name] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func number(_ name: String) throws(APIError) -> Int {
        guard let text = self[name], let number = Int(text) else { throw APIError.invalid(field: name, "请填写数字") }
        return number
    }

    /// The key the form was rendered with: the same form sent twice is one write.
    var idempotencyKey: String? { self["key"] }

    /// Where to show the result: a page of this site, never another site.
    var back: String {
        guard let back = self["back"], back.hasPrefix("/m/"), !back.contains("//"), !back.contains("\\"), back.count < 500 else { return "/m" }
        return back.split(separator: "#", maxSplits: 1).first.map(String.init) ?? "/m"
    }
}
