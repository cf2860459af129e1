import Yams

extension WorkflowDefinition {
    /// How deep `all`/`any`/`not` may nest, and how many parts one condition may have. Conditions are evaluated
    /// recursively for every project, and YAML aliases can repeat a part without writing it out, so a file must
    /// not be able to make one deep enough to overflow the stack or large enough to take forever.
    static let maximumConditionDepth = 16
    static let maximumConditionParts = 200

    /// Parses a condition and checks it against the declared attributes: the attribute exists and each operand
    /// has the attribute's type (a number for ordering tests, a listed value for a choice).
    static func parseCondition(_ node: Node, in what: String, reader: YAMLReader,
                               attributes: [String: AttributeDeclaration]) -> ItemCondition? {
        var budget = maximumConditionParts
        return parseCondition(node, in: what, reader: reader, attributes: attributes, depth: 0, budget: &budget)
    }

    private static func parseCondition(_ node: Node, in what: String, reader: YAMLReader, attributes: [String: AttributeDeclaration],
                                       depth: Int, budget: inout Int) -> ItemCondition? {
        guard budget > 0, depth < maximumConditionDepth else {
            // Said once per condition; the rest of it is skipped, since the file is refused anyway.
            if budget >= 0 {
                reader.report("\(what) is too large: a condition nests at most \(maximumConditionDepth) deep and has at most \(maximumConditionParts) parts", at: node)
            }
            budget = -1
            return nil
        }
        budget -= 1
        guard case let .mapping(mapping) = node else {
            reader.report("\(what) must be a mapping such as {attribute: …, equals: …}", at: node)
            return nil
        }
        let keys: [String] = Array(mapping.keys.compactMap(\.string))
        let values: [Node] = Array(mapping.values)
        if keys == ["all"] || keys == ["any"] {
            guard case let .sequence(list) = values[0], !list.isEmpty else {
                reader.report("'\(keys[0])' in \(what) needs a non-empty list of conditions", at: node)
                return nil
            }
            let parts = list.compactMap {
                parseCondition($0, in: what, reader: reader, attributes: attributes, depth: depth + 1, budget: &budget)
            }
            guard parts.count == list.count else { return nil }
            return keys == ["all"] ? .all(parts) : .any(parts)
        }
        if keys == ["not"] {
            return parseCondition(values[0], in: what, reader: reader, attributes: attributes, depth: depth + 1, budget: &budget)
                .map { .not($0) }
        }
        let comparisons = ItemCondition.Comparison.allCases.map(\.rawValue)
        guard let fields = reader.fields(node, of: what, required: ["attribute"], optional: comparisons),
              let attributeID = reader.string(fields, "attribute", in: what)
        else { return nil }
        let used = comparisons.filter { fields[$0] != nil }
        guard used.count == 1, let comparison = ItemCondition.Comparison(rawValue: used[0]), let operandNode = fields[used[0]] else {
            reader.report("\(what) needs exactly one comparison (\(comparisons.joined(separator: ", "))) or all/any/not", at: node)
            return nil
        }
        guard let attribute = attributes[attributeID] else {
            reader.report("\(what) tests undeclared attribute '\(attributeID)'; declare it under 'attributes'", at: fields["attribute"])
            return nil
        }
        let operandNodes: [Node]
        if comparison == .oneOf {
            guard case let .sequence(list) = operandNode, !list.isEmpty else {
                reader.report("'one_of' in \(what) needs a non-empty list", at: operandNode)
                return nil
            }
            operandNodes = Array(list)
        } else {
            operandNodes = [operandNode]
        }
        var operands: [AttributeValue] = []
        for operand in operandNodes {
            guard let value = operandValue(operand, for: attribute, comparison: comparison, in: what, reader: reader) else { return nil }
            operands.append(value)
        }
        return .test(attribute: attributeID, comparison, operands)
    }

    private static func operandValue(_ node: Node, for attribute: AttributeDeclaration,
                                     comparison: ItemCondition.Comparison, in what: String,
                                     reader: YAMLReader) -> AttributeValue? {
        let shown = node.string ?? "a collection"
        func wrongType(_ expected: String) -> AttributeValue? {
            reader.report("\(what) compares \(attribute.kind.name) attribute '\(attribute.id)' with '\(shown)'; expected \(expected)", at: node)
            return nil
        }
        if comparison.isOrdering {
            switch attribute.kind {
            case .integer, .number: break
            default:
                reader.report("\(what) uses '\(comparison.rawValue)' on \(attribute.kind.name) attribute '\(attribute.id)'; ordering comparisons need an integer or number attribute", at: node)
                return nil
            }
        }
        switch attribute.kind {
        case .boolean:
            guard let value = YAMLReader.booleanValue(node) else { return wrongType("true or false") }
            return .boolean(value)
        case .integer:
            guard let value = YAMLReader.integerValue(node) else { return wrongType("a whole number") }
            return .number(Double(value))
        case .number:
            guard let value = YAMLReader.numberValue(node) else { return wrongType("a number") }
            return .number(value)
        case .text:
            guard case .scalar = node, let text = node.string else { return wrongType("a text") }
            return .text(text)
        case let .choice(options):
            guard case .scalar = node, let text = node.string, options.contains(text) else {
                return wrongType("one of \(options.joined(separator: ", "))")
            }
            return .text(text)
        }
    }
}
