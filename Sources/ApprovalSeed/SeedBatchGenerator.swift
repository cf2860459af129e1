import ApprovalStore
import ApprovalCore
import Foundation

/// Generates one batch of projects — each with a history from `SeedShape` — as COPY rows for every table a
/// project touches. Pure: the same options and range give the same rows, whatever shapes were cached before.
struct SeedBatchGenerator: Sendable {
    static let projectsPerOrganisation = 4

    let registry: WorkflowRegistry
    let staff: SeedStaff
    let ids: IDRanges
    let options: ProvinceSeeder.Options
    let contents: SeedContents
    /// Each of `SeedShape.workflows`' working-day calendar.
    private let calendars: [WorkdayCalendar]
    /// The deployment's time zone, in which seeded events happen during office hours.
    private let timeZone: TimeZone
    /// Midnight in `timeZone` (milliseconds since 1970) of each day from `firstDay` on, over every day a seeded
    /// project can touch: looked up per event rather than asked of the time zone millions of times.
    private let midnights: [Int64]
    private let firstDay: CivilDate

    init(registry: WorkflowRegistry, staff: SeedStaff, ids: IDRanges, options: ProvinceSeeder.Options, contents: SeedContents) {
        self.contents = contents
        self.registry = registry
        self.staff = staff
        self.ids = ids
        self.options = options
        calendars = SeedShape.workflows.map { registry.calendar(for: registry.currentVersion(of: $0)!.definition) }
        let timeZone = registry.catalog.timeZone, firstDay = options.asOf.adding(days: -(options.spanDays + 120))
        self.timeZone = timeZone
        self.firstDay = firstDay
        midnights = (0...(options.spanDays + 130)).map { Self.midnight(of: firstDay.adding(days: $0), in: timeZone) }
    }

    /// Rows of one batch, in the order they are loaded.
    struct Tables {
        var users = CopyRows("users", ["id", "name", "role", "region", "organisation", "phone"])
        var projects = CopyRows("projects", [
            "id", "code", "code_issued_locally", "name", "investor_org", "region", "attributes", "workflow_version_id", "started_on",
            "current_stage", "completed", "warning", "used_days", "agent_id", "version", "last_seq", "last_hash", "created_at",
            "next_due_at", "summary_as_of", "forecast_days", "total_limit", "critical_path", "calendar_id", "completed_on",
        ])
        var items = CopyRows("items", [
            "project_id", "item_id", "stage_id", "department", "state", "state_since", "limit_days", "used_days", "deadline",
            "deadline_provisional", "default_reason", "escalated_on", "repeat_supplements",
        ])
        var events = CopyRows("events", SeedEventText.columns)
        var assignments = CopyRows("agent_assignments", ["project_id", "agent_id", "started_on", "assigned_by"])
        var agreements = CopyRows("agency_agreements", ["id", "project_id", "scope", "starts_on", "state", "ended_on", "authorised_by"])
        var progress = CopyRows("progress_updates", ["id", "project_id", "author_id", "kind", "text", "item_id", "next_step_on", "at",
                                                     "on_date", "follow_up_overdue_on"])
        var documents = CopyRows("formal_documents", ["project_id", "item_id", "department", "default_approved_on", "due_on", "issued_on",
                                                      "document_number", "overdue_on"])
        var cases = CopyRows("difficult_cases", ["id", "project_id", "item_id", "title", "description", "raised_by", "raised_on",
                                                 "meeting_on", "outcome", "resolved_on", "resolved_by"])
        var ratings = CopyRows("ratings", ["project_id", "subject_kind", "subject", "agent_id", "score", "text", "rated_by", "first_at", "updated_at"])
        var materials = CopyRows("materials", ["id", "organisation", "name", "kind", "valid_from", "valid_until", "created_by", "created_at"])
        var materialVersions = CopyRows("material_versions", ["material_id", "version", "content_id", "file_name", "uploaded_by", "uploaded_at"])
        var itemMaterials = CopyRows("item_materials", ["project_id", "item_id", "requirement_id", "material_id", "version", "attached_by",
                                                        "attached_on"])

        var all: [CopyRows] {
            [users, projects, items, events, assignments, agreements, progress, documents, cases, ratings, materials, materialVersions, itemMaterials]
        }
        static var names: [String] { Tables().all.map(\.table) }
    }

    func generate(_ range: Range<Int>, shapes: inout SeedShapes) -> ([CopyRows], ProvinceSeeder.Summary) {
        var tables = Tables()
        var summary = ProvinceSeeder.Summary()
        for number in range { generateProject(number, shapes: &shapes, into: &tables, summary: &summary) }
        return (tables.all, summary)
    }

    /// The day project `number` started. The province's projects are registered in order over the span before
    /// `asOf`, so ids grow with time as the server gives them and a batch's projects share a day (and its shapes);
    /// the backlog's started in the weeks before `asOf`.
    private func startedOn(_ number: Int, isBacklog: Bool, calendar: WorkdayCalendar, random: inout SeedRandom) -> CivilDate {
        let registered = options.projects - options.backlog
        let daysBack = isBacklog ? random.int(45...75) : options.spanDays * (registered - 1 - number) / max(1, registered)
        var day = options.asOf.adding(days: -daysBack)
        while !calendar.isWorkingDay(day) { day = day.adding(days: -1) }
        return day
    }

    /// An event before it is chained: sorted by day, then by `rank` (the project's opening events first, its
    /// closing ones last), then in the order it was made.
    private struct Pending {
        let text: SeedEventText
        let actorID: Int64
        let on: CivilDate
        let rank: Int
        let order: Int
    }

    private func generateProject(_ number: Int, shapes: inout SeedShapes, into tables: inout Tables, summary: inout ProvinceSeeder.Summary) {
        var random = SeedRandom(seed: options.seed, stream: UInt64(ids.firstProject) + UInt64(number))
        let projectID = ids.firstProject + Int64(number)
        let isBacklog = number >= options.projects - options.backlog
        let county = random.pick(ProvinceMap.counties)
        let workflowIndex = random.chance(0.7) ? 0 : random.chance(0.5) ? 1 : 2
        let hasAgent = random.chance(0.95)
        let startedOn = startedOn(number, isBacklog: isBacklog, calendar: calendars[workflowIndex], random: &random)
        let shape = shapes.shape(SeedShape.Key(workflow: workflowIndex, startedOn: startedOn, hasAgent: hasAgent, isBacklog: isBacklog,
                                               variant: random.int(0...(SeedShape.variantsPerDay - 1))), registry: registry, options: options)
        let workflow = shape.workflow
        summary.refused += shape.refused

        // The investor: one organisation per few projects, registered in its home county (not always where it
        // invests), its user created with its first project.
        let organisationNumber = number / Self.projectsPerOrganisation
        var organisationRandom = SeedRandom(seed: options.seed, stream: 1 << 61 | (UInt64(ids.firstProject) + UInt64(organisationNumber)))
        let home = organisationRandom.pick(ProvinceMap.counties)
        let organisation = "91\(home.code)MA\(Self.padded(Int(ids.firstProject) / Self.projectsPerOrganisation + organisationNumber, 8))"
        let investorID = ids.firstUser + Int64(organisationNumber)
        // Its library: the business licence, and one file of its other application documents, each stored once for
        // the whole province (metadata rows sharing a few contents).
        let licence = ids.firstMaterial + Int64(organisationNumber) * SeedContents.materialsPerOrganisation, documents = licence + 1
        if number % Self.projectsPerOrganisation == 0 {
            tables.users.append(.int(investorID), .text("\(home.name)\(organisationRandom.pick(ProvinceMap.industries))有限公司\(SeedStaff.marker)"),
                                .text("investor"), .text(home.code), .text(organisation), .text("0571-\(Self.padded(organisationNumber % 10_000_000, 7))"))
            let registered = milliseconds(startedOn, minute: 9 * 60)
            for (id, name, kind, content) in [(licence, "营业执照", Optional(SeedContents.licenceKind), contents.licence),
                                              (documents, "项目申请材料", nil, contents.documents)] {
                tables.materials.append(.int(id), .text(organisation), .text(name), kind.map(CopyRows.Field.text),
                                        kind == nil ? nil : .date(startedOn.adding(days: -365)), kind == nil ? nil : .date(startedOn.adding(days: 9 * 365)),
                                        .int(investorID), .timestamp(registered))
                tables.materialVersions.append(.int(id), .int(1), .int(content), .text("\(name).pdf"), .int(investorID), .timestamp(registered))
            }
        }
        let agent = hasAgent ? random.pick(staff.agents[county.code]!) : nil
        let city = county.city.code
        let reviewers = staff.reviewers[city]!
        let completed = shape.completed, lastDay = shape.lastDay, endOfStory = shape.endOfStory

        var pending: [Pending] = []
        pending.reserveCapacity(shape.events.count + 12)
        var followUpDue: CivilDate?
        func add(_ event: DomainEvent, _ itemID: String?, actor: Int64, on: CivilDate, rank: Int) {
            add(SeedEventText(event, itemID: itemID, on: on), actor: actor, on: on, rank: rank)
        }
        func add(_ text: SeedEventText, actor: Int64, on: CivilDate, rank: Int) {
            pending.append(Pending(text: text, actorID: actor, on: on, rank: rank, order: pending.count))
        }
        // Unique by the project's id: the serial carries its last six digits, the project-type segment the rest.
        let code = "\(Self.timeCode(startedOn))-\(county.code)-89-\(Self.padded(1 + Int(projectID) / 1_000_000, 2))-\(Self.padded(Int(projectID) % 1_000_000, 6))"
        let name = "\(county.name)\(random.pick(ProvinceMap.industries))\(random.pick(ProvinceMap.kinds))"
        add(.projectCreated(ProjectCreation(code: code, codeIssuedLocally: false, name: name, investorOrganisation: organisation,
                                            region: county.code, workflow: workflow.id, workflowVersion: workflow.version,
                                            workflowDigest: registry.digests[shape.versionID] ?? "", attributes: shape.attributes)),
            nil, actor: investorID, on: startedOn, rank: 0)
        // The shared history, told for this project: its people, and its names where the agent acted for the investor.
        for event in shape.events {
            let actor: Int64
            switch event.actor {
            case .investor: actor = investorID
            case .agent: actor = agent!.id
            case .engine: actor = DeadlineQueue.engineUserID
            case let .reviewer(department): actor = reviewers[department]!
            }
            switch event.text {
            case let .shared(text):
                add(text, actor: actor, on: event.on, rank: 2)
            case var .onBehalf(transition):
                transition.onBehalf = OnBehalf(organisation: organisation, agentName: agent!.name)
                add(.item(transition), event.itemID, actor: actor, on: event.on, rank: 2)
            }
        }

        // The agency service (代办): assigned and authorised on the first day, progress along the way.
        let coordinator = staff.coordinators[city]!
        if let agent {
            tables.assignments.append(.int(projectID), .int(agent.id), .date(startedOn), .int(coordinator))
            add(.agentAssigned(agent: agent.id, agentName: agent.name), nil, actor: coordinator, on: startedOn, rank: 1)
            if random.chance(0.8) {
                let agreementID = ids.firstAgreement + Int64(number)
                let scope = shape.agreementScope
                tables.agreements.append(.int(agreementID), .int(projectID), .textArray(scope), .date(startedOn),
                                         .text(completed ? "completed" : "active"), completed ? .date(lastDay) : nil, .int(investorID))
                add(.agreement(AgreementEvent(.authorised, agreement: agreementID, scope: scope, startsOn: startedOn)), nil, actor: investorID,
                    on: startedOn, rank: 1)
                if completed {
                    add(.agreement(AgreementEvent(.completed, agreement: agreementID)), nil, actor: agent.id, on: lastDay, rank: 4)
                    if random.chance(0.4) {
                        let score = random.chance(0.85) ? 5 : random.int(2...4)
                        let at = milliseconds(lastDay, minute: 17 * 60)
                        tables.ratings.append(.int(projectID), .text("agent"), .text("agent"), .int(agent.id), .int(Int64(score)),
                                              .text(score == 5 ? "代办员全程帮办，非常满意" : "总体满意"), .int(investorID), .timestamp(at), .timestamp(at))
                        add(.rated(changed: false, subject: "agent", score: score, agent: agent.id), nil, actor: investorID, on: lastDay, rank: 4)
                    }
                }
            }
            let updates = random.int(1...Int(IDRanges.progressPerProject))
            let span = max(0, endOfStory - startedOn)
            let days = (0..<updates).map { _ in startedOn.adding(days: random.int(0...span)) }.sorted()
            for (index, day) in days.enumerated() {
                let progressID = ids.firstProgress + Int64(number) * IDRanges.progressPerProject + Int64(index)
                let kind = random.pick(ProgressUpdate.Kind.allCases.filter { $0 != .submittedOnBehalf })
                let text = Self.progressTexts[kind]!
                var nextStep: CivilDate?
                var overdueOn: CivilDate?
                defer { if overdueOn == nil, let nextStep { followUpDue = nextStep } }
                if !completed && index == days.count - 1 {
                    // The newest update's next step: mostly ahead; now and then it passed and the sweeper said so.
                    if !isBacklog && random.chance(0.05) && day < options.asOf.adding(days: -2) {
                        nextStep = day.adding(days: random.int(0...(options.asOf - day - 2)))
                        overdueOn = nextStep!.adding(days: 1)
                    } else {
                        nextStep = options.asOf.adding(days: random.int(1...10))
                    }
                }
                let at = milliseconds(day, minute: 16 * 60 + index)
                tables.progress.append(.int(progressID), .int(projectID), .int(agent.id), .text(kind.rawValue), .text(text), nil,
                                       nextStep.map(CopyRows.Field.date), .timestamp(at), .date(day), overdueOn.map(CopyRows.Field.date))
                add(.progressLogged(progress: progressID, kind: kind, text: text, nextStepOn: nextStep), nil, actor: agent.id, on: day, rank: 3)
                if let overdueOn, let nextStep {
                    add(.agentFollowUpOverdue(agent: agent.id, nextStepOn: nextStep, progress: progressID), nil,
                        actor: DeadlineQueue.engineUserID, on: overdueOn, rank: 3)
                }
            }
            // 疑难会商: now and then a difficulty goes to the agency centre; most are settled within weeks.
            if random.chance(0.01) {
                let caseID = ids.firstCase + Int64(number)
                let raised = startedOn.adding(days: random.int(0...max(0, endOfStory - startedOn)))
                let resolved = raised.adding(days: random.int(3...30))
                let settled = resolved <= endOfStory && random.chance(0.8)
                let title = "多部门意见不一致，需协调"
                tables.cases.append(.int(caseID), .int(projectID), nil, .text(title), .text("规划条件与消防要求存在冲突，申请疑难会商"),
                                    .int(agent.id), .date(raised), settled ? .date(resolved) : nil, settled ? .text("会商明确以规划条件为准，消防部门出具意见") : nil,
                                    settled ? .date(resolved) : nil, settled ? .int(coordinator) : nil)
                add(.caseRaised(case: caseID, title: title), nil, actor: agent.id, on: raised, rank: 3)
                if settled {
                    add(.caseResolved(case: caseID, meetingOn: resolved, outcome: "会商明确以规划条件为准，消防部门出具意见"), nil,
                        actor: coordinator, on: resolved, rank: 3)
                }
            }
        }

        // The audit chain, in the order things happened.
        pending.sort { ($0.on, $0.rank, $0.order) < ($1.on, $1.rank, $1.order) }
        var previous = AuditChain.genesis
        // Each hash is written twice, as its event's and as the next one's previous hash: its COPY text is made once.
        var previousField = CopyRows.encoded(.bytea(previous))
        var head: [UInt8] = [], tail: [UInt8] = []
        head.reserveCapacity(64)
        tail.reserveCapacity(64)
        var sameDay = 0
        var firstAt: Int64 = 0
        for (index, event) in pending.enumerated() {
            sameDay = index > 0 && pending[index - 1].on == event.on ? sameDay + 1 : 0
            let at = milliseconds(event.on, minute: 9 * 60 + sameDay * 7)
            if index == 0 { firstAt = at }
            let seq = index + 1
            head.removeAll(keepingCapacity: true)
            tail.removeAll(keepingCapacity: true)
            AuditChain.writeCanonicalHead(actorID: event.actorID, atMilliseconds: at, into: &head)
            AuditChain.writeCanonicalTail(projectID: projectID, seq: seq, into: &tail)
            let hash = AuditChain.hash(previous: previous, head: head, middle: event.text.canonicalMiddle, tail: tail)
            let hashField = CopyRows.encoded(.bytea(hash))
            tables.events.append(.int(projectID), .int(Int64(seq)), .timestamp(at), .int(event.actorID), shared: event.text.rowMiddle,
                                 then: .encoded(previousField), .encoded(hashField))
            previous = hash
            previousField = hashField
            if event.text.kind == .item(.defaultApprove) { summary.defaultApprovals += 1 }
            if event.text.kind == .item(.escalate) { summary.escalations += 1 }
        }
        summary.events += pending.count

        for tail in shape.itemRowTails { tables.items.append(.int(projectID), shared: tail) }
        summary.items += shape.itemRowTails.count
        for tail in shape.documentRowTails { tables.documents.append(.int(projectID), shared: tail) }
        for attachment in shape.attachments {
            tables.itemMaterials.append(.int(projectID), .text(attachment.itemID), .text(attachment.requirementID),
                                        .int(attachment.isLicence ? licence : documents), .int(1), .int(investorID), .date(attachment.on))
        }

        // When the sweeper must look next, by the domain's rule (`Project.nextSweep`); for the backlog, already (its
        // deadlines passed while no sweeper ran).
        let nextDue: Int64? = isBacklog ? milliseconds(options.asOf, minute: 0)
            : shape.project.nextSweep(after: options.asOf, in: timeZone, documents: shape.documents, nextStep: followUpDue)
                .map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
        let view = shape.view
        tables.projects.append(
            .int(projectID), .text(code), .bool(false), .text(name), .text(organisation), .text(county.code),
            .json(shape.attributesJSON), .int(shape.versionID), .date(startedOn), view.currentStageID.map(CopyRows.Field.text),
            .bool(completed), .text(view.warning.rawValue), .int(Int64(view.usedDays)), agent.map { .int($0.id) }, .int(Int64(pending.count)),
            .int(Int64(pending.count)), .bytea(previous), .timestamp(firstAt), nextDue.map(CopyRows.Field.timestamp),
            .date(view.asOf), .int(Int64(view.forecast.totalDays)), .int(Int64(view.totalLimit)), .textArray(view.forecast.criticalPath),
            .text(workflow.calendarID), completed ? .date(lastDay) : nil)
        summary.projects += 1
        if !completed { summary.openProjects += 1 }
    }

    /// Attribute values as investors give them: every declared attribute, numbers on both sides of the
    /// thresholds conditions test (e.g. 1,000 tce for the energy review).
    static func attributes(for workflow: WorkflowDefinition, random: inout SeedRandom) -> [String: AttributeValue] {
        var values: [String: AttributeValue] = [:]
        for declaration in workflow.attributes where declaration.required || random.chance(0.5) {
            switch declaration.kind {
            case .boolean: values[declaration.id] = .boolean(random.chance(0.4))
            case .integer, .number: values[declaration.id] = .number(Double(random.pick([20, 300, 800, 1500, 5000, 20000, 80000])))
            case .text: values[declaration.id] = .text("见申报材料")
            case let .choice(options): values[declaration.id] = .text(random.pick(options))
            }
        }
        return values
    }

    static let progressTexts: [ProgressUpdate.Kind: String] = [
        .contactedDepartment: "已与审批窗口沟通办理进度", .materialsPrepared: "已协助企业准备申报材料", .submittedOnBehalf: "已代企业提交申请",
        .siteVisit: "已上门走访企业，核对现场情况", .meetingAttended: "已参加联合审查会议", .issueRaised: "发现材料问题，已告知企业补充", .other: "跟进项目进展",
    ]

    /// The instant `minute` minutes after midnight of `day` in the deployment's time zone.
    func milliseconds(_ day: CivilDate, minute: Int) -> Int64 {
        let offset = day - firstDay
        let midnight = midnights.indices.contains(offset) ? midnights[offset] : Self.midnight(of: day, in: timeZone)
        return midnight + Int64(minute) * 60_000
    }

    static func midnight(of day: CivilDate, in timeZone: TimeZone) -> Int64 {
        Int64((day.adding(days: -1).endOfDay(in: timeZone).timeIntervalSince1970 * 1000).rounded())
    }

    static func timeCode(_ date: CivilDate) -> String {
        let (year, month, _) = date.components
        return padded(year % 100, 2) + padded(month, 2)
    }

    static func padded(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
