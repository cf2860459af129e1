/// Why a project could not be created from the given attributes. Lists every problem at once.
public struct ProjectAttributeErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// Attribute id → what is wrong with it.
    public let problems: [String: String]

    public var description: String {
        problems.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
    }
}

/// A project running one version of a workflow: its attributes decide which items apply, and its items move
/// through their states. Pure value: the store persists it, the engine computes views of it.
public struct Project: Sendable, Hashable {
    public let workflow: WorkflowDefinition
    public let attributes: [String: AttributeValue]
    public let startedOn: CivilDate
    /// Items in workflow order.
    public private(set) var items: [ProjectItem]
    private let index: [String: Int]

    /// Creates the project's items: `not_applicable` where the condition fails, `exempted` where an exemption
    /// holds (the workflow's own or one from the exemption list, 审批豁免清单), otherwise blocked until ready.
    public init(workflow: WorkflowDefinition, attributes: [String: AttributeValue], startedOn: CivilDate,
                exemptions: [String: String] = [:]) throws(ProjectAttributeErrors) {
        var problems: [String: String] = [:]
        for (id, value) in attributes {
            guard let declaration = workflow.attribute(id) else {
                problems[id] = "not declared by workflow '\(workflow.id)'; declared: \(workflow.attributes.map(\.id).joined(separator: ", "))"
                continue
            }
            if let problem = declaration.problem(with: value) { problems[id] = problem }
        }
        for declaration in workflow.attributes where declaration.required && attributes[declaration.id] == nil {
            problems[declaration.id] = "required by workflow '\(workflow.id)' (\(declaration.name))"
        }
        for id in exemptions.keys where workflow.item(id) == nil {
            problems["exemptions.\(id)"] = "workflow '\(workflow.id)' has no item '\(id)'"
        }
        guard problems.isEmpty else { throw ProjectAttributeErrors(problems: problems) }

        self.workflow = workflow
        self.attributes = attributes
        self.startedOn = startedOn
        items = workflow.items.map { definition in
            if let condition = definition.condition, !condition.holds(for: attributes) {
                return ProjectItem(definition: definition, initialState: .notApplicable, on: startedOn,
                                   detail: "condition not met: \(condition)")
            }
            if let exemptWhen = definition.exemptWhen, exemptWhen.holds(for: attributes) {
                return ProjectItem(definition: definition, initialState: .exempted, on: startedOn,
                                   detail: definition.exemptionSource)
            }
            if let source = exemptions[definition.id] {
                return ProjectItem(definition: definition, initialState: .exempted, on: startedOn, detail: source)
            }
            return ProjectItem(definition: definition, initialState: .blocked, on: startedOn, detail: nil)
        }
        index = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1.id, $0) })
        openReadyItems(on: startedOn)
    }

    /// A project whose items are already built (restored from a snapshot).
    init(workflow: WorkflowDefinition, attributes: [String: AttributeValue], startedOn: CivilDate, items: [ProjectItem]) {
        self.workflow = workflow
        self.attributes = attributes
        self.startedOn = startedOn
        self.items = items
        index = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1.id, $0) })
    }

    public func item(_ id: String) -> ProjectItem? { index[id].map { items[$0] } }

    /// A progress update or a case may name an item only of this project.
    public func checkNamesItem(_ itemID: String?) throws(FieldProblem) {
        if let itemID, item(itemID) == nil { throw FieldProblem(field: "item", detail: "'\(itemID)' is not an item of this project") }
    }

    /// Applies one action to one item, then opens every item whose prerequisites are now complete.
    /// Either the whole change happens or, on error, nothing does.
    public mutating func perform(_ action: ItemAction, on itemID: String, date: CivilDate,
                                 calendar: WorkdayCalendar) throws(ItemTransitionError) {
        guard let position = index[itemID] else {
            throw .invalidRequest(item: itemID, action: action.name, problem: "workflow '\(workflow.id)' has no such item")
        }
        try items[position].apply(action, on: date, calendar: calendar)
        openReadyItems(on: date)
    }

    /// 补正: the applicant answers a supplement request (一次性告知) with the missing materials, which resumes the
    /// item's clock. Any other stop (a hearing, an expert review …) ends when the department resumes it.
    public mutating func resubmit(_ itemID: String, date: CivilDate, calendar: WorkdayCalendar) throws(ItemTransitionError) {
        guard let item = item(itemID) else {
            throw .invalidRequest(item: itemID, action: "resubmit", problem: "workflow '\(workflow.id)' has no such item")
        }
        guard item.state == .suspended, case .supplement? = item.stops.last?.reason else {
            throw .illegalTransition(item: itemID, action: "resubmit", state: item.state, reachedBy: item.reachedBy)
        }
        try perform(.resume, on: itemID, date: date, calendar: calendar)
    }

    /// Blocked items whose prerequisites have all released them become ready. Prerequisites that are not
    /// applicable or exempted release their dependents at once.
    private mutating func openReadyItems(on date: CivilDate) {
        for position in items.indices where items[position].state == .blocked {
            let released = items[position].definition.dependsOn.allSatisfy { prerequisite in
                index[prerequisite].map { items[$0].state.releasesDependents } ?? true
            }
            if released { items[position].open(on: date) }
        }
    }
}
