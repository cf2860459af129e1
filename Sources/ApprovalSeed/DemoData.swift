import ApprovalAPI
import ApprovalCore
import ApprovalServer
import ApprovalStore
import Foundation
import OpenAPIRuntime

/// `serve --demo`: a few users with well-known tokens and sample projects, so there is something to look at
/// and the README's curl examples work as printed. Everything goes through the API's own handlers, so the
/// demo projects have real events and a valid audit chain. Never for production: the tokens are public.
public enum DemoData {
    /// Secrets anyone can read (this file, the README, old seeds): `serve` outside development refuses to start
    /// while one of them signs someone in.
    public static var publicSecrets: [String] { users.map(\.token) + ["seed-admin", "seed-leader"] }

    public struct DemoUser: Sendable {
        public let token: String
        public let user: NewUser
    }

    public static let users: [DemoUser] = [
        DemoUser(token: "demo-admin", user: NewUser(name: "系统管理员 Demo", role: .admin, region: "330000")),
        DemoUser(token: "demo-investor", user: NewUser(name: "温州示范实业有限公司 Demo", role: .investor, region: "330302",
                                                       organisation: "91330302MA2DEMO01X", phone: "0577-00000001")),
        DemoUser(token: "demo-reviewer", user: NewUser(name: "鹿城区发改局窗口 Demo", role: .reviewer, region: "330302",
                                                       department: "development-reform", phone: "0577-8800-1001")),
        DemoUser(token: "demo-planning-reviewer", user: NewUser(name: "资规局窗口 Demo", role: .reviewer, region: "330300",
                                                                department: "natural-resources-planning", phone: "0577-8800-2001")),
        DemoUser(token: "demo-coordinator", user: NewUser(name: "温州市代办中心 Demo", role: .coordinator, region: "330300")),
        DemoUser(token: "demo-leader", user: NewUser(name: "效能监察 Demo", role: .leader, region: "330000")),
        // The three-level agency network (市、县、乡镇).
        DemoUser(token: "demo-agent", user: NewUser(name: "代办员 王 Demo", role: .agent, region: "330302", phone: "138-0000-0001",
                                                    agentLevel: .county, agentCapacity: 20)),
        DemoUser(token: "demo-agent-city", user: NewUser(name: "市级代办员 陈 Demo", role: .agent, region: "330300", phone: "138-0000-0002",
                                                         agentLevel: .city, agentCapacity: 30)),
        DemoUser(token: "demo-agent-township", user: NewUser(name: "五马街道代办员 吴 Demo", role: .agent, region: "330302",
                                                             phone: "138-0000-0003", agentLevel: .township, agentCapacity: 10)),
    ]

    /// Seeds once; returns false when the demo data is already there.
    @discardableResult
    public static func seed(_ context: ServerContext) async throws -> Bool {
        let database = context.database
        let seeded = try await database.read { connection in
            try await UserRepository.authenticate(token: "demo-admin", on: connection, logger: database.logger) != nil
        }
        if seeded { return false }
        var created: [String: User] = [:]
        try await database.transaction { connection in
            for demo in users {
                let user = try await UserRepository.create(demo.user, on: connection, logger: database.logger)
                _ = try await UserRepository.issueToken(for: user.id, publicSecret: demo.token, on: connection, logger: database.logger)
                created[demo.token] = user
            }
        }
        let api = InProcessAPI(context: context)
        func act<T>(_ token: String, _ body: (any APIProtocol) async throws -> T) async throws -> T {
            try await api.call(as: created[token], body)
        }
        func action(_ code: String, _ item: String, _ request: Components.Schemas.ItemActionRequest, as token: String) async throws {
            _ = try await act(token) { handler in
                try await handler.performItemAction(.init(path: .init(code: code, item: item), body: .json(request)))
            }
        }
        // Fixed national codes, so the README's examples name the same projects on every machine.
        func create(_ code: String, _ name: String, _ workflow: String, _ attributes: [String: Components.Schemas.AttributeValue]) async throws -> String {
            let output = try await act("demo-investor") { handler in
                try await handler.createProject(.init(body: .json(.init(workflow: workflow, name: name, region: "330302", code: code,
                                                                           attributes: .init(additionalProperties: attributes)))))
            }
            guard case let .created(created) = output, case let .json(status) = created.body else { throw DemoDataError() }
            return status.code
        }

        let factory = try await create("2609-330302-89-01-100001", "温州示范智能装备产业园一期", "enterprise-investment", [
            "approval-mode": .case3("filing"), "in-regional-assessment-zone": .case1(true), "land-supply": .case3("transfer"),
            "annual-energy-tce": .case2(1500), "land-area-sqm": .case2(32000), "eia-category": .case3("report-form"),
            "special-construction-project": .case1(true), "builds-civil-air-defence": .case1(true), "involves-river": .case1(false),
        ])
        // The investor's library: its business licence and its legal representative's identity, uploaded once, and
        // every application carrying them, with whatever else each item requires.
        let library = DemoLibrary(investor: created["demo-investor"])
        func apply(_ code: String, _ item: String, _ workflow: String) async throws {
            try await library.apply(api, code: code, item: item, workflow: workflow, registry: context.registry)
        }
        try await apply(factory, "project-filing", "enterprise-investment")
        try await action(factory, "project-filing", .init(action: .submit), as: "demo-investor")
        try await action(factory, "project-filing", .init(action: .accept), as: "demo-reviewer")
        try await action(factory, "project-filing", .init(action: .approve), as: "demo-reviewer")
        try await action(factory, "land-use-planning-permit", .init(action: .submit), as: "demo-investor")
        try await apply(factory, "land-use-planning-permit", "enterprise-investment")
        try await action(factory, "land-use-planning-permit", .init(action: .accept), as: "demo-planning-reviewer")
        func assign(_ code: String, _ token: String) async throws {
            _ = try await act("demo-coordinator") { handler in
                try await handler.assignAgent(.init(path: .init(code: code), body: .json(.init(agentId: created[token]!.id))))
            }
        }
        func progress(_ code: String, _ token: String, _ kind: Components.Schemas.ProgressKind, _ text: String, item: String? = nil,
                      nextStepOn: CivilDate? = nil) async throws {
            _ = try await act(token) { handler in
                try await handler.logProgress(.init(path: .init(code: code), body: .json(.init(kind: kind, text: text, item: item,
                                                                                             nextStepOn: nextStepOn?.description))))
            }
        }
        let today = context.today
        try await assign(factory, "demo-agent")
        _ = try await act("demo-investor") { handler in
            try await handler.actOnAgreement(.init(path: .init(code: factory), body: .json(.init(
                action: .authorise, scope: ["project-filing", "land-use-planning-permit", "design-scheme-review", "construction-planning-permit"]))))
        }
        try await progress(factory, "demo-agent", .materialsPrepared, "已协助企业准备用地规划许可申请材料", item: "land-use-planning-permit")
        try await progress(factory, "demo-agent", .contactedDepartment, "已与资规局窗口确认受理，约定下周现场核验",
                           item: "land-use-planning-permit", nextStepOn: today.adding(days: 7))

        let warehouse = try await create("2609-330302-89-01-100002", "鹿城区冷链仓储中心（简易低风险）", "low-risk", [
            "building-area-sqm": .case2(4800), "needs-water-connection": .case1(true),
        ])
        try await action(warehouse, "project-filing", .init(action: .submit), as: "demo-investor")
        try await apply(warehouse, "project-filing", "low-risk")
        try await action(warehouse, "project-filing", .init(action: .accept), as: "demo-reviewer")
        try await action(warehouse, "project-filing", .init(action: .suspend, suspension: .init(
            reason: .supplement, requirements: ["filing-form"], missingMaterials: ["营业执照副本"])), as: "demo-reviewer")

        try await assign(warehouse, "demo-agent-township")
        try await progress(warehouse, "demo-agent-township", .siteVisit, "上门核对营业执照副本与备案申请表", item: "project-filing",
                           nextStepOn: today.adding(days: 3))

        let lab = try await create("2609-330302-89-01-100003", "温州示范研发中心二期", "enterprise-investment", [
            "approval-mode": .case3("filing"), "in-regional-assessment-zone": .case1(false), "land-supply": .case3("existing"),
            "annual-energy-tce": .case2(300), "land-area-sqm": .case2(8000), "eia-category": .case3("registration"),
            "special-construction-project": .case1(false), "builds-civil-air-defence": .case1(false),
        ])
        try await assign(lab, "demo-agent-city")
        try await progress(lab, "demo-agent-city", .contactedDepartment, "已向企业说明全流程审批方案（一套方案）", nextStepOn: today.adding(days: 5))

        try await seedHistory(context, users: created, library: library)
        return true
    }

    /// A small, well-formed one-page PDF saying `text` (ASCII), for the demo's library.
    static func pdf(_ text: String) -> [UInt8] {
        let stream = "BT /F1 14 Tf 72 720 Td (\(text)) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(repeating: "0", count: 10 - String(offset).count) + "\(offset) 00000 n \n" }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(out.utf8)
    }

    /// Two projects with weeks of history behind them, so the leaders' dashboard has something to show: a fire-safety
    /// design review left to run out (overdue, escalated by the sweeper), and a low-risk project that has used most
    /// of its 20-day limit. They are written through the API's handlers on a clock set back in time, each item
    /// decided on the last day of its limit.
    static func seedHistory(_ context: ServerContext, users: [String: User], library: DemoLibrary) async throws {
        let now = context.clock.now()
        let timeZone = context.timeZone
        func history(daysBack: Int, _ steps: (InProcessAPI, (Int) throws -> Void) async throws -> Void) async throws {
            let clock = VirtualClock(now.addingTimeInterval(-Double(daysBack) * 86_400))
            let past = ServerContext(database: context.database, registry: context.registry, clock: clock, metrics: context.metrics,
                                     migrationsFolder: context.migrationsFolder, webhookEgress: context.webhookEgress)
            let calendar = context.registry.catalog.calendars.values.sorted { $0.id < $1.id }.first!
            // Moves the clock to 10:00 on the n-th working day from today, never past the real now.
            func wait(_ workingDays: Int) throws {
                let target = try calendar.deadline(adding: workingDays, to: clock.today(in: timeZone)).value
                guard let instant = Calendar(identifier: .gregorian).date(from: DateComponents(timeZone: timeZone, year: target.year,
                                                                                               month: target.components.month, day: target.components.day, hour: 10))
                else { throw DemoDataError() }
                clock.set(min(instant, now))
            }
            try await steps(InProcessAPI(context: past), wait)
        }
        func run(_ api: InProcessAPI, _ token: String, _ body: (any APIProtocol) async throws -> Void) async throws {
            try await api.call(as: users[token], body)
        }
        func decide(_ api: InProcessAPI, _ code: String, _ workflow: String, _ items: [(String, Int)], wait: (Int) throws -> Void) async throws {
            for (item, limit) in items {
                try await accept(api, code, workflow, item)
                try wait(limit)
                try await run(api, "demo-admin") { handler in
                    _ = try await handler.performItemAction(.init(path: .init(code: code, item: item), body: .json(.init(action: .approve))))
                }
            }
        }
        func create(_ api: InProcessAPI, _ code: String, _ name: String, _ workflow: String,
                    _ attributes: [String: Components.Schemas.AttributeValue]) async throws {
            try await run(api, "demo-investor") { handler in
                _ = try await handler.createProject(.init(body: .json(.init(workflow: workflow, name: name, region: "330302", code: code,
                                                                           attributes: .init(additionalProperties: attributes)))))
            }
        }
        /// Submitted and accepted, and left running.
        func accept(_ api: InProcessAPI, _ code: String, _ workflow: String, _ item: String) async throws {
            try await run(api, "demo-investor") { handler in
                _ = try await handler.performItemAction(.init(path: .init(code: code, item: item), body: .json(.init(action: .submit))))
            }
            try await library.apply(api, code: code, item: item, workflow: workflow, registry: context.registry)
            try await run(api, "demo-admin") { handler in
                _ = try await handler.performItemAction(.init(path: .init(code: code, item: item), body: .json(.init(action: .accept))))
            }
        }

        try await history(daysBack: 75) { api, wait in
            let code = "2609-330302-89-01-100004"
            try await create(api, code, "鹿城区示范物流中心消防改造", "enterprise-investment", [
                "approval-mode": .case3("filing"), "in-regional-assessment-zone": .case1(true), "land-supply": .case3("existing"),
                "annual-energy-tce": .case2(200), "land-area-sqm": .case2(3000), "eia-category": .case3("registration"),
                "special-construction-project": .case1(true), "builds-civil-air-defence": .case1(false),
            ])
            try await decide(api, code, "enterprise-investment", [("project-filing", 1), ("land-use-planning-permit", 5), ("design-scheme-review", 10),
                                                                  ("construction-planning-permit", 5)], wait: wait)
            try await accept(api, code, "enterprise-investment", "fire-safety-design-review")
        }
        try await history(daysBack: 40) { api, wait in
            let code = "2609-330302-89-01-100005"
            try await create(api, code, "五马街道社区仓储用房（简易低风险）", "low-risk", [
                "building-area-sqm": .case2(900), "needs-water-connection": .case1(false),
            ])
            try await decide(api, code, "low-risk", [("project-filing", 1), ("land-use-planning-permit", 2), ("construction-planning-permit", 5),
                                                     ("construction-permit-issuance", 2), ("planning-verification", 5)], wait: wait)
            try await accept(api, code, "low-risk", "fire-safety-acceptance-filing")
        }
    }

    struct DemoDataError: Error {}
}

/// The demo investor's material library as its applications fill it: a document of a reusable kind is uploaded
/// once and attached to every item that requires the kind; any other required document is uploaded for its item.
actor DemoLibrary {
    let investor: User?
    private var byKind: [String: Int64] = [:]
    private var uploads = 0

    init(investor: User?) { self.investor = investor }

    /// Attaches a document to every core material `item` requires, so the department may accept it.
    func apply(_ api: InProcessAPI, code: String, item: String, workflow: String, registry: WorkflowRegistry) async throws {
        guard let definition = registry.currentVersion(of: workflow)?.definition.item(item) else { throw DemoData.DemoDataError() }
        for requirement in definition.requirements where requirement.core {
            let material: Int64
            if let kind = requirement.kind, let held = byKind[kind] {
                material = held
            } else {
                material = try await upload(api, requirement.name, kind: requirement.kind)
                if let kind = requirement.kind { byKind[kind] = material }
            }
            _ = try await api.call(as: investor) { handler in
                try await handler.attachMaterial(.init(path: .init(code: code, item: item, requirement: requirement.id),
                                                       body: .json(.init(material: material))))
            }
        }
    }

    private func upload(_ api: InProcessAPI, _ name: String, kind: String?) async throws -> Int64 {
        uploads += 1
        let text = "\(kind ?? "document") \(uploads) of the demo investor"
        let output = try await api.call(as: investor) { handler in
            try await handler.uploadMaterial(.init(query: .init(name: name, kind: kind, validUntil: kind == nil ? nil : "2036-12-31"),
                                                   body: .any(HTTPBody(DemoData.pdf(text)))))
        }
        guard case let .created(created) = output, case let .json(material) = created.body else { throw DemoData.DemoDataError() }
        return material.id
    }
}
