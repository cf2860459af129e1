/// A project attribute a workflow declares (e.g. 年综合能源消费量), which item conditions may test.
public struct AttributeDeclaration: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case boolean
        case integer
        case number
        case text
        /// One of a fixed list of values (e.g. land supply mode: 出让 / 划拨).
        case choice([String])

        public var name: String {
            switch self {
            case .boolean: "boolean"
            case .integer: "integer"
            case .number: "number"
            case .text: "text"
            case .choice: "choice"
            }
        }
    }

    public let id: String
    public let name: String
    public let kind: Kind
    public let required: Bool
}

/// A value a project gives for a declared attribute.
public enum AttributeValue: Sendable, Hashable, CustomStringConvertible {
    case boolean(Bool)
    case number(Double)
    case text(String)

    public var description: String {
        switch self {
        case let .boolean(value): "\(value)"
        case let .number(value): value.rounded() == value && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case let .text(value): value
        }
    }
}

extension AttributeDeclaration {
    /// Why `value` does not fit this declaration, or nil when it does.
    public func problem(with value: AttributeValue) -> String? {
        switch (kind, value) {
        case (.boolean, .boolean), (.number, .number), (.text, .text):
            return nil
        case let (.integer, .number(number)):
            return number.rounded() == number ? nil : "attribute '\(id)' is a whole number, not \(number)"
        case let (.choice(options), .text(text)):
            return options.contains(text) ? nil
                : "attribute '\(id)' is one of \(options.joined(separator: ", ")), not '\(text)'"
        default:
            return "attribute '\(id)' is a \(kind.name), not '\(value)'"
        }
    }
}

/// An attribute value as JSON (a project's `attributes` column and its `project.created` event).
extension AttributeValue {
    public var json: JSONValue {
        switch self {
        case let .boolean(value): .bool(value)
        case let .number(value): .double(value)
        case let .text(value): .string(value)
        }
    }

    public init?(json: JSONValue) {
        switch json {
        case let .bool(value): self = .boolean(value)
        case let .int(value): self = .number(Double(value))
        case let .double(value): self = .number(value)
        case let .string(value): self = .text(value)
        default: return nil
        }
    }
}
