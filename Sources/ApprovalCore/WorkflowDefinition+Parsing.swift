import Yams

extension WorkflowDefinition {
    /// The highest version number: versions are stored as PostgreSQL `integer`.
    static let maximumVersion = 1_000_000
    /// The most items a workflow may have: real ones have a few dozen, and the dependency checks and the
    /// critical-path forecast walk chains of items recursively, so a file must not make a chain deep enough to
    /// overflow the stack.
    static let maximumItems = 500

    /// Parses one workflow file and checks it against the departments and calendars it names. Every problem
    /// is reported through `reader`; the result is nil when there was any.
    static func parse(_ text: String, reader: YAMLReader, departments: [String: Department],
                      calendarIDs: Set<String>, kinds: [String: MaterialKind] = [:]) -> WorkflowDefinition? {
        guard let root = reader.compose(text),
              let top = reader.fields(root, of: "the workflow",
                                      required: ["id", "version", "name", "calendar", "total_limit", "stages"],
                                      optional: ["attributes", "warnings", "phases"])
        else { return nil }
        let id = reader.identifier(top, "id", in: "the workflow")
        let version = reader.integer(top, "version", in: "the workflow")
        if let version, version < 1 {
            reader.report("'version' of the workflow is \(version); versions start at 1", at: top["version"])
        } else if let version, version > maximumVersion {
            reader.report("'version' of the workflow is \(version); versions are at most \(maximumVersion)", at: top["version"])
        }
        let name = reader.string(top, "name", in: "the workflow")
        let calendarID = reader.string(top, "calendar", in: "the workflow")
        if let calendarID, !calendarIDs.contains(calendarID) {
            reader.report("unknown calendar '\(calendarID)'; known: \(calendarIDs.sorted().joined(separator: ", "))", at: top["calendar"])
        }
        let totalLimit = reader.limit(top, "total_limit", in: "the workflow")
        let warnings = parseWarnings(top, reader: reader)
        let attributes = parseAttributes(top, reader: reader)
        let declared = Dictionary(attributes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let stages = parseStages(top, reader: reader, departments: departments, attributes: declared, kinds: kinds)
        let phases = parsePhases(top, reader: reader, stageIDs: stages.map(\.id))

        guard let id, let version, let name, let calendarID, let totalLimit else { return nil }
        let workflow = WorkflowDefinition(id: id, version: version, name: name, calendarID: calendarID,
                                          totalLimit: totalLimit, warnings: warnings, attributes: attributes,
                                          stages: stages, phases: phases, file: reader.file)
        workflow.checkDependencies(reader: reader, at: top)
        return reader.issues.isEmpty ? workflow : nil
    }

    private static func parseWarnings(_ top: Fields, reader: YAMLReader) -> WarningThresholds {
        var thresholds = WarningThresholds()
        guard let node = top["warnings"],
              let fields = reader.fields(node, of: "'warnings'", required: [],
                                         optional: ["item_yellow_fraction", "item_yellow_minimum_days", "project_yellow_fraction"])
        else { return thresholds }
        if let value = reader.fraction(fields, "item_yellow_fraction", in: "'warnings'") { thresholds.itemYellowFraction = value }
        if let value = reader.limit(fields, "item_yellow_minimum_days", in: "'warnings'") { thresholds.itemYellowMinimumDays = value }
        if let value = reader.fraction(fields, "project_yellow_fraction", in: "'warnings'") { thresholds.projectYellowFraction = value }
        return thresholds
    }

    private static func parseAttributes(_ top: Fields, reader: YAMLReader) -> [AttributeDeclaration] {
        var attributes: [AttributeDeclaration] = []
        for node in reader.sequence(top, "attributes", in: "the workflow") ?? [] {
            guard let fields = reader.fields(node, of: "an attribute", required: ["id", "name", "type"],
                                             optional: ["values", "required"]),
                  let id = reader.identifier(fields, "id", in: "an attribute")
            else { continue }
            let what = "attribute '\(id)'"
            let name = reader.string(fields, "name", in: what)
            let required = reader.boolean(fields, "required", in: what) ?? false
            var kind: AttributeDeclaration.Kind?
            switch reader.string(fields, "type", in: what) {
            case "boolean": kind = .boolean
            case "integer": kind = .integer
            case "number": kind = .number
            case "text": kind = .text
            case "choice":
                let values = (reader.sequence(fields, "values", in: what) ?? []).compactMap(\.string)
                if values.isEmpty { reader.report("\(what) of type choice needs a non-empty 'values' list", at: node) }
                else { kind = .choice(values) }
            case let other?:
                reader.report("\(what) has type '\(other)'; expected one of: boolean, integer, number, text, choice", at: fields["type"])
            case nil: break
            }
            if fields["values"] != nil, case .choice = kind {} else if fields["values"] != nil {
                reader.report("'values' only applies to attributes of type choice", at: fields["values"])
            }
            if attributes.contains(where: { $0.id == id }) {
                reader.report("duplicate attribute id '\(id)'", at: fields["id"])
                continue
            }
            guard let name, let kind else { continue }
            attributes.append(AttributeDeclaration(id: id, name: name, kind: kind, required: required))
        }
        return attributes
    }

    private static func parseStages(_ top: Fields, reader: YAMLReader, departments: [String: Department],
                                    attributes: [String: AttributeDeclaration], kinds: [String: MaterialKind]) -> [StageDefinition] {
        var stages: [StageDefinition] = []
        var itemIDs = Set<String>()
        for node in reader.sequence(top, "stages", in: "the workflow") ?? [] {
            guard let fields = reader.fields(node, of: "a stage", required: ["id", "name", "lead", "limit", "items"]),
                  let id = reader.identifier(fields, "id", in: "a stage")
            else { continue }
            let what = "stage '\(id)'"
            let name = reader.string(fields, "name", in: what)
            let lead = department(fields, "lead", in: what, reader: reader, departments: departments)
            let limit = reader.limit(fields, "limit", in: what)
            var items: [ItemDefinition] = []
            for itemNode in reader.sequence(fields, "items", in: what) ?? [] {
                guard itemIDs.count < maximumItems else {
                    reader.report("the workflow has more than \(maximumItems) items; split it into several workflows", at: itemNode)
                    break
                }
                guard let item = parseItem(itemNode, stageID: id, reader: reader, departments: departments, kinds: kinds,
                                           attributes: attributes) else { continue }
                if !itemIDs.insert(item.id).inserted {
                    reader.report("duplicate item id '\(item.id)'; item ids are unique across all stages", at: itemNode)
                    continue
                }
                items.append(item)
            }
            reader.positions["stage \(id)"] = node
            if stages.contains(where: { $0.id == id }) {
                reader.report("duplicate stage id '\(id)'", at: fields["id"])
                continue
            }
            guard let name, let lead, let limit else { continue }
            stages.append(StageDefinition(id: id, name: name, leadDepartment: lead, limit: limit, items: items))
        }
        return stages
    }

    private static func parseItem(_ node: Node, stageID: String, reader: YAMLReader,
                                  departments: [String: Department], kinds: [String: MaterialKind],
                                  attributes: [String: AttributeDeclaration]) -> ItemDefinition? {
        // Returns nil only when the item has no usable id.
        guard let fields = reader.fields(node, of: "an item", required: ["id", "name", "department", "limit"],
                                         optional: ["depends_on", "when", "exempt_when", "exemption_source",
                                                    "on_timeout", "deficiency_acceptance", "requires", "produces", "extension_days"]),
              let id = reader.identifier(fields, "id", in: "an item")
        else { return nil }
        let what = "item '\(id)'"
        reader.positions["item \(id)"] = node
        let name = reader.string(fields, "name", in: what)
        let department = department(fields, "department", in: what, reader: reader, departments: departments)
        let limit = reader.limit(fields, "limit", in: what)
        let dependsOn = (reader.sequence(fields, "depends_on", in: what) ?? []).compactMap { node -> String? in
            guard let text = node.string, !text.isEmpty else {
                reader.report("'depends_on' of \(what) lists something that is not an item id", at: node)
                return nil
            }
            reader.positions["depends_on \(id) \(text)"] = node
            return text
        }
        let condition = fields["when"].flatMap { parseCondition($0, in: "'when' of \(what)", reader: reader, attributes: attributes) }
        let exemptWhen = fields["exempt_when"].flatMap { parseCondition($0, in: "'exempt_when' of \(what)", reader: reader, attributes: attributes) }
        let exemptionSource = reader.string(fields, "exemption_source", in: what)
        if fields["exempt_when"] != nil, fields["exemption_source"] == nil {
            reader.report("\(what) has 'exempt_when' but no 'exemption_source' naming the exemption's basis", at: fields["exempt_when"])
        }
        if fields["exemption_source"] != nil, fields["exempt_when"] == nil {
            reader.report("\(what) has 'exemption_source' but no 'exempt_when'", at: fields["exemption_source"])
        }
        var onTimeout = TimeoutPolicy.defaultApprove
        if let text = reader.string(fields, "on_timeout", in: what) {
            if let policy = TimeoutPolicy(rawValue: text) { onTimeout = policy } else {
                reader.report("\(what) has on_timeout '\(text)'; expected default_approve or escalate", at: fields["on_timeout"])
            }
        }
        let deficiency = reader.boolean(fields, "deficiency_acceptance", in: what) ?? false
        // 延期 (行政许可法 §42): by default none, as the reform practises; the law allows a head to grant 10 more days.
        var extensionDays = 0
        if let days = reader.limit(fields, "extension_days", in: what) {
            if days > ItemDefinition.maximumExtensionDays {
                reader.report("'extension_days' of \(what) is \(days); an extension grants at most \(ItemDefinition.maximumExtensionDays) working days (行政许可法 §42)",
                              at: fields["extension_days"])
            } else {
                extensionDays = days
            }
        }
        // An item with a bad department or limit is kept (its file is refused anyway) so that its dependencies
        // are still checked and every error of the file is reported in one run.
        let (requirements, produces) = MaterialRequirement.parse(fields, of: what, allowsDeficiency: deficiency, kinds: kinds, reader: reader)
        return ItemDefinition(id: id, name: name ?? id, department: department ?? "", limit: limit ?? 0, dependsOn: dependsOn,
                              condition: condition, exemptWhen: exemptWhen, exemptionSource: exemptionSource,
                              onTimeout: onTimeout, allowsDeficiencyAcceptance: deficiency, stageID: stageID,
                              requirements: requirements, produces: produces, extensionDays: extensionDays)
    }

    private static func department(_ fields: Fields, _ key: String, in what: String, reader: YAMLReader,
                                   departments: [String: Department]) -> String? {
        guard let id = reader.string(fields, key, in: what) else { return nil }
        guard departments[id] != nil else {
            reader.report("\(what) names unknown department '\(id)' (not in departments.yaml)", at: fields[key])
            return nil
        }
        return id
    }

    private static func parsePhases(_ top: Fields, reader: YAMLReader, stageIDs: [String]) -> [PhaseLimit] {
        var phases: [PhaseLimit] = []
        for node in reader.sequence(top, "phases", in: "the workflow") ?? [] {
            guard let fields = reader.fields(node, of: "a phase", required: ["id", "name", "stages", "limit"]),
                  let id = reader.identifier(fields, "id", in: "a phase")
            else { continue }
            let what = "phase '\(id)'"
            let name = reader.string(fields, "name", in: what)
            let limit = reader.limit(fields, "limit", in: what)
            var stages: [String] = []
            for stageNode in reader.sequence(fields, "stages", in: what) ?? [] {
                guard let stage = stageNode.string, stageIDs.contains(stage) else {
                    reader.report("\(what) names unknown stage '\(stageNode.string ?? "?")'", at: stageNode)
                    continue
                }
                stages.append(stage)
            }
            reader.positions["phase \(id)"] = node
            guard let name, let limit else { continue }
            phases.append(PhaseLimit(id: id, name: name, stages: stages, limit: limit))
        }
        return phases
    }
}
