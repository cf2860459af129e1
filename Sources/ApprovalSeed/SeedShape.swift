import ApprovalStore
import ApprovalCore
import Foundation

/// What the generated projects of one kind, started on one day, share: their workflow, attributes and whole life
/// through the engine — events, item rows, formal documents, the view's figures — with actors as roles. A province
/// registers over a thousand projects a working day; each day's are drawn from a few variants per workflow, so
/// the engine plays each history once for several projects instead of once per project (the simulation and the
/// view were over a third of the generator's time). Who acted, the investor, the region, the agent and the agency
/// story stay each project's own.
final class SeedShape {
    struct Key: Hashable {
        let workflow: Int
        let startedOn: CivilDate
        let hasAgent: Bool
        let isBacklog: Bool
        let variant: Int
    }

    /// How many histories each day offers a workflow; more is more variety and more simulation.
    static let variantsPerDay = 16
    static let workflows = ["enterprise-investment", "government-investment", "low-risk"]

    /// An event of the history.
    struct Event {
        enum Text {
            /// What every project of the shape writes.
            case shared(SeedEventText)
            /// A submission on the investor's behalf: each project adds its investor and agent to the transition.
            case onBehalf(ItemTransition)
        }

        let kind: EventKind
        let itemID: String?
        let actor: SeedActor
        let on: CivilDate
        let text: Text
    }

    let versionID: Int64
    let workflow: WorkflowDefinition
    let attributes: [String: AttributeValue]
    let attributesJSON: [UInt8]
    let events: [Event]
    let refused: Int
    let completed: Bool
    /// The last day something happened; the day the story ends (`asOf` while the project runs).
    let lastDay: CivilDate
    let endOfStory: CivilDate
    /// The items an agency agreement covers: every one that applies.
    let agreementScope: [String]
    /// The items' rows and the formal documents' rows, after their first field (the project's id).
    let itemRowTails: [[UInt8]]
    let documentRowTails: [[UInt8]]
    /// The core materials each application carried from the day it was submitted (a department accepts nothing
    /// without them): whether the requirement is the investor's business licence, else one of its other documents.
    let attachments: [(itemID: String, requirementID: String, on: CivilDate, isLicence: Bool)]
    /// The project as its history left it, and the formal documents it owes or owed: when the sweeper must look
    /// at it next follows from them (`Project.nextSweep`).
    let project: Project
    let documents: [FormalDocument]
    let view: ProjectView

    init(_ key: Key, registry: WorkflowRegistry, options: ProvinceSeeder.Options) {
        var random = SeedRandom(seed: options.seed, stream: Self.stream(key))
        (versionID, workflow) = registry.currentVersion(of: Self.workflows[key.workflow])!
        let calendar = registry.calendar(for: workflow)
        attributes = SeedBatchGenerator.attributes(for: workflow, random: &random)
        attributesJSON = JSONValue.object(attributes.mapValues(\.json)).canonicalBytes
        // Cannot fail: the generated attributes are exactly the workflow's declarations, each of its declared kind,
        // every required one present, and there are no exemptions to check.
        let project = try! Project(workflow: workflow, attributes: attributes, startedOn: key.startedOn)
        let simulator = ProjectHistorySimulator(calendar: calendar, asOf: options.asOf, sweeperRuns: !key.isBacklog,
                                                silentDepartments: key.isBacklog)
        let history = simulator.run(project, hasAgent: key.hasAgent, random: &random)
        refused = history.refused
        events = history.events.map { simulated in
            let text: Event.Text
            if simulated.onBehalf, case let .item(transition) = simulated.event {
                text = .onBehalf(transition)
            } else {
                text = .shared(SeedEventText(simulated.event, itemID: simulated.itemID, on: simulated.on))
            }
            return Event(kind: simulated.event.kind, itemID: simulated.itemID, actor: simulated.actor, on: simulated.on, text: text)
        }

        // Completed when every item has ended (the view's current stage is then none); its figures are as of the last day.
        completed = history.project.items.indices.allSatisfy { history.project.items[$0].state.hasEnded }
        lastDay = history.events.map(\.on).max() ?? key.startedOn
        view = ProjectView(project: history.project, asOf: completed ? lastDay : options.asOf, calendar: calendar)
        assert(completed == (view.currentStageID == nil))
        endOfStory = completed ? lastDay : options.asOf
        agreementScope = history.project.items.filter { $0.state != .notApplicable && $0.state != .exempted }.map(\.id)
        itemRowTails = view.items.map { item in
            let since = history.project.item(item.id)!.reachedBy?.on ?? key.startedOn
            return CopyRows.fields(.text(item.id), .text(item.stageID), .text(item.department), .text(item.state.rawValue),
                                 .date(since), .int(Int64(item.limit)), .int(Int64(item.usedDays)), item.deadline.map { .date($0.value) },
                                 .bool(item.deadline?.isProvisional ?? false), item.defaultApprovalReason.map { .text($0.rawValue) },
                                 item.escalatedOn.map(CopyRows.Field.date), .int(Int64(item.repeatSupplementRequests)))
        }
        documentRowTails = history.formalDocuments.map { document in
            CopyRows.fields(.text(document.itemID), .text(document.department), .date(document.defaultApprovedOn),
                          .date(document.dueOn), document.issuedOn.map(CopyRows.Field.date), document.documentNumber.map(CopyRows.Field.text),
                          document.overdueOn.map(CopyRows.Field.date))
        }
        attachments = history.project.items.flatMap { item in
            guard let submitted = item.history.first(where: { $0.action == ItemAction.submit.name })?.on else {
                return [(itemID: String, requirementID: String, on: CivilDate, isLicence: Bool)]()
            }
            return item.definition.requirements.filter(\.core).map {
                (itemID: item.id, requirementID: $0.id, on: submitted, isLicence: $0.kind == SeedContents.licenceKind)
            }
        }
        self.project = history.project
        documents = history.formalDocuments.map { document in
            FormalDocument(itemID: document.itemID, department: document.department, defaultApprovedOn: document.defaultApprovedOn,
                           dueOn: document.dueOn, issuedOn: document.issuedOn, documentNumber: document.documentNumber, overdueOn: document.overdueOn)
        }
    }

    /// The shape's own randomness, apart from every project's (`SeedRandom` streams of project numbers are small).
    private static func stream(_ key: Key) -> UInt64 {
        1 << 62 | UInt64(bitPattern: Int64(key.startedOn.dayNumber)) << 12 | UInt64(key.variant) << 4
            | UInt64(key.workflow) << 2 | (key.hasAgent ? 2 : 0) | (key.isBacklog ? 1 : 0)
    }
}

/// One worker's shapes. A batch's projects started on the same day or two (the generator spreads project numbers
/// over the days in order), so a small cache, emptied when full, finds nearly every shape it needs.
struct SeedShapes {
    private var byKey: [SeedShape.Key: SeedShape] = [:]
    private static let capacity = 1_000

    mutating func shape(_ key: SeedShape.Key, registry: WorkflowRegistry, options: ProvinceSeeder.Options) -> SeedShape {
        if let shape = byKey[key] { return shape }
        if byKey.count >= Self.capacity { byKey.removeAll(keepingCapacity: true) }
        let shape = SeedShape(key, registry: registry, options: options)
        byKey[key] = shape
        return shape
    }
}
