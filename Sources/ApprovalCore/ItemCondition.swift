/// When an item applies to a project (or is exempted), as a test on the project's declared attributes.
///
/// Written in YAML as `{attribute: annual-energy-tce, at_least: 1000}`, combined with `all:`, `any:`, `not:`.
public indirect enum ItemCondition: Sendable, Hashable, CustomStringConvertible {
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case equals, notEquals = "not_equals", oneOf = "one_of"
        case atLeast = "at_least", greaterThan = "greater_than", atMost = "at_most", lessThan = "less_than"

        var isOrdering: Bool { [.atLeast, .greaterThan, .atMost, .lessThan].contains(self) }
    }

    case test(attribute: String, Comparison, [AttributeValue])
    case all([ItemCondition])
    case any([ItemCondition])
    case not(ItemCondition)

    /// A missing optional attribute makes a test false (and its `not` true): an undeclared fact cannot trigger
    /// an item, which is the conservative reading for a required approval only when written as a positive test.
    public func holds(for attributes: [String: AttributeValue]) -> Bool {
        switch self {
        case let .all(conditions): return conditions.allSatisfy { $0.holds(for: attributes) }
        case let .any(conditions): return conditions.contains { $0.holds(for: attributes) }
        case let .not(condition): return !condition.holds(for: attributes)
        case let .test(attribute, comparison, operands):
            guard let value = attributes[attribute] else { return false }
            switch comparison {
            case .equals, .oneOf: return operands.contains(value)
            case .notEquals: return !operands.contains(value)
            case .atLeast, .greaterThan, .atMost, .lessThan:
                guard case let .number(actual) = value, case let .number(bound) = operands.first else { return false }
                switch comparison {
                case .atLeast: return actual >= bound
                case .greaterThan: return actual > bound
                case .atMost: return actual <= bound
                default: return actual < bound
                }
            }
        }
    }

    public var description: String {
        switch self {
        case let .all(conditions): "(" + conditions.map(\.description).joined(separator: " and ") + ")"
        case let .any(conditions): "(" + conditions.map(\.description).joined(separator: " or ") + ")"
        case let .not(condition): "not \(condition)"
        case let .test(attribute, comparison, operands):
            "\(attribute) \(comparison.rawValue) \(operands.map(\.description).joined(separator: ", "))"
        }
    }
}
