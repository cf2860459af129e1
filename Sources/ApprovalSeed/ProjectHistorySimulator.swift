import ApprovalStore
import ApprovalCore

/// Who did something in a generated history: a role while the history is shared by the projects of one
/// `SeedShape`, a person once the generator tells it for one project (the reviewer of the project's city, …).
enum SeedActor: Hashable {
    case investor
    case agent
    /// The deadline engine (`DeadlineQueue.engineUserID`).
    case engine
    /// The department's window in the project's city.
    case reviewer(department: String)
}

/// One thing that happened to a generated project, in the order it happened; becomes an audit event.
struct SimulatedEvent {
    let event: DomainEvent
    let itemID: String?
    let actor: SeedActor
    let on: CivilDate
    /// Submitted by the agent on the investor's behalf (代办): the event names both, once the project is known.
    var onBehalf = false
}

/// A formal approval document owed after a default approval (Migrations/0002), as the generator left it.
struct SimulatedFormalDocument {
    let itemID: String
    let department: String
    let defaultApprovedOn: CivilDate
    let dueOn: CivilDate
    var issuedOn: CivilDate?
    var documentNumber: String?
    var overdueOn: CivilDate?
}

/// Plays a project's life through the engine itself — submissions, acceptance, supplement requests, decisions,
/// and the deadline engine's default approvals and escalations — so that every generated event replays to the
/// same items the store will hold. Dates come from the working-day calendar: investors take a few days to
/// apply, departments decide within their limit, a small share stay silent and are deemed to approve.
/// Actors are roles (`SeedActor`), so one history can serve every project of its shape.
struct ProjectHistorySimulator {
    let calendar: WorkdayCalendar
    /// Nothing happens after this day.
    let asOf: CivilDate
    /// The deadline engine ran every night; false leaves passed deadlines for a sweeper to drain (a backlog).
    let sweeperRuns: Bool
    /// No department ever decides: every accepted item runs into its timeout (backlog projects).
    let silentDepartments: Bool
    /// Share of decisions a department lets time out in ordinary projects.
    var silentShare = 0.02

    struct Result {
        var project: Project
        var events: [SimulatedEvent] = []
        var formalDocuments: [SimulatedFormalDocument] = []
        /// Planned actions the engine refused (a generator bug if ever non-zero).
        var refused = 0
    }

    private enum Step {
        case item(ItemAction)
        case formalDocumentIssued(number: String)
        case formalDocumentOverdue
    }

    private struct Planned {
        let on: CivilDate
        let order: Int
        let itemID: String
        let step: Step
        let actor: SeedActor
        let onBehalf: Bool
    }

    /// `hasAgent`: the project has an agent, who now and then submits on the investor's behalf.
    func run(_ project: Project, hasAgent: Bool, random: inout SeedRandom) -> Result {
        var result = Result(project: project)
        var pending: [Planned] = []
        var order = 0
        var planned: Set<String> = []

        // The generator's own counts, small and never negative: the calendar always adds them.
        func workday(_ date: CivilDate, plus days: Int) -> CivilDate { (try? calendar.deadline(adding: days, to: date))?.value ?? date }
        func schedule(_ on: CivilDate, _ itemID: String, _ step: Step, actor: SeedActor, onBehalf: Bool = false) {
            order += 1
            pending.append(Planned(on: on, order: order, itemID: itemID, step: step, actor: actor, onBehalf: onBehalf))
        }
        // An item that has just become ready: the investor applies, the department accepts and decides.
        func planReadyItems(on today: CivilDate) {
            // By index: a `ProjectItem` is large, and copying each one per step was a fifth of the generator's time.
            for index in result.project.items.indices where result.project.items[index].state == .ready {
                let definition = result.project.items[index].definition
                guard planned.insert(definition.id).inserted else { continue }
                let itemID = definition.id
                let reviewer = SeedActor.reviewer(department: definition.department)
                var day = workday(today, plus: random.int(0...4))
                let byAgent = hasAgent && random.chance(0.3)
                schedule(day, itemID, .item(.submit), actor: byAgent ? .agent : .investor, onBehalf: byAgent)
                day = workday(day, plus: random.int(0...2))
                let accepted = day
                if definition.allowsDeficiencyAcceptance && random.chance(0.15) {
                    // 容缺受理: accepted with a missing document the applicant commits to supply.
                    let commitment = DeficiencyCommitment(missingMaterials: ["补充承诺材料"], dueDate: workday(day, plus: 10))
                    schedule(day, itemID, .item(.accept(commitment: commitment)), actor: reviewer)
                    schedule(day, itemID, .item(.fulfilCommitment), actor: .investor)
                } else {
                    schedule(day, itemID, .item(.accept(commitment: nil)), actor: reviewer)
                }
                if silentDepartments || random.chance(silentShare) { continue }
                let limit = definition.limit
                let decideAfter = limit == 0 ? 0 : random.int(max(0, limit / 5)...limit)
                if decideAfter >= 1 && random.chance(0.2) {
                    // 补正: the clock stops while the applicant supplies what is missing, sometimes twice.
                    let stop = random.int(0...(decideAfter - 1))
                    var resumed = accepted
                    let requests = random.chance(0.1) ? 2 : 1
                    day = workday(accepted, plus: stop)
                    for _ in 0..<requests {
                        schedule(day, itemID, .item(.suspend(.supplement(missingMaterials: ["补正材料清单"]))), actor: reviewer)
                        resumed = workday(day, plus: random.int(2...12))
                        schedule(resumed, itemID, .item(.resume), actor: reviewer)
                        day = resumed
                    }
                    day = workday(resumed, plus: decideAfter - stop)
                } else {
                    day = workday(accepted, plus: decideAfter)
                }
                let decision: ItemAction = random.chance(0.002) ? .reject(reason: "不符合产业政策") : .approve
                schedule(day, itemID, .item(decision), actor: reviewer)
            }
        }

        func record(_ event: DomainEvent, _ itemID: String?, actor: SeedActor, on: CivilDate, onBehalf: Bool = false) {
            result.events.append(SimulatedEvent(event: event, itemID: itemID, actor: actor, on: on, onBehalf: onBehalf))
        }

        // The deadline engine's night: default approvals (with the formal document they make owed) and escalations.
        func sweep(upTo day: CivilDate) -> Bool {
            let due = result.project.dueTimeouts(asOf: day)
            guard !due.isEmpty else { return false }
            for timeout in due {
                let before = result.project.item(timeout.itemID)!
                do {
                    try result.project.perform(timeout.action, on: timeout.itemID, date: timeout.on, calendar: calendar)
                } catch {
                    result.refused += 1
                    continue
                }
                var transition = ItemTransition(timeout.action, before: before, in: result.project)
                let definition = result.project.item(timeout.itemID)!.definition
                pending.removeAll { $0.itemID == timeout.itemID }
                if case .escalate = timeout.action {
                    transition.leadDepartment = result.project.workflow.leadDepartment(ofItem: timeout.itemID) ?? ""
                    record(.item(transition), timeout.itemID, actor: .engine, on: timeout.on)
                    // The lead department presses, and the department decides a few days later.
                    schedule(workday(timeout.on, plus: random.int(1...5)), timeout.itemID, .item(.approve),
                             actor: .reviewer(department: definition.department))
                } else {
                    record(.item(transition), timeout.itemID, actor: .engine, on: timeout.on)
                    let dueOn = workday(timeout.on, plus: 1)
                    result.formalDocuments.append(SimulatedFormalDocument(itemID: timeout.itemID, department: definition.department,
                                                                          defaultApprovedOn: timeout.on, dueOn: dueOn))
                    let late = random.chance(0.1)
                    if late { schedule(dueOn.adding(days: 1), timeout.itemID, .formalDocumentOverdue, actor: .engine) }
                    let issued = late ? workday(dueOn, plus: random.int(1...4)) : workday(timeout.on, plus: random.int(0...1))
                    schedule(issued, timeout.itemID, .formalDocumentIssued(number: "浙审批〔\(issued.year)〕\(random.int(100...9999))号"),
                             actor: .reviewer(department: definition.department))
                }
            }
            planReadyItems(on: due.map(\.on).max()!)
            return true
        }

        planReadyItems(on: project.startedOn)
        while true {
            let next = pending.indices.min { (pending[$0].on, pending[$0].order) < (pending[$1].on, pending[$1].order) }
            let horizon = next.map { min(pending[$0].on, asOf) } ?? asOf
            if sweeperRuns, sweep(upTo: horizon) { continue }
            guard let next, pending[next].on <= asOf else { break }
            let step = pending.remove(at: next)
            switch step.step {
            case let .item(action):
                let before = result.project.item(step.itemID)!
                do {
                    try result.project.perform(action, on: step.itemID, date: step.on, calendar: calendar)
                } catch {
                    result.refused += 1
                    continue
                }
                record(.item(ItemTransition(action, before: before, in: result.project)), step.itemID, actor: step.actor, on: step.on,
                       onBehalf: step.onBehalf)
                planReadyItems(on: step.on)
            case let .formalDocumentIssued(number):
                let index = result.formalDocuments.firstIndex { $0.itemID == step.itemID }!
                result.formalDocuments[index].issuedOn = step.on
                result.formalDocuments[index].documentNumber = number
                let dueOn = result.formalDocuments[index].dueOn
                record(.formalDocumentIssued(number: number, dueOn: dueOn, late: step.on > dueOn), step.itemID, actor: step.actor, on: step.on)
            case .formalDocumentOverdue:
                guard sweeperRuns else { continue }
                let index = result.formalDocuments.firstIndex { $0.itemID == step.itemID }!
                result.formalDocuments[index].overdueOn = step.on
                let document = result.formalDocuments[index]
                record(.formalDocumentOverdue(department: document.department, dueOn: document.dueOn), step.itemID, actor: step.actor, on: step.on)
            }
        }
        return result
    }
}
