import Yams

/// Walks a composed YAML tree and reports problems with file, line and column instead of stopping at the first.
///
/// Readers return nil for a missing or malformed value after recording why, so a caller can keep going and
/// collect every error of a file in one pass.
final class YAMLReader {
    let file: String
    private(set) var issues: [DefinitionIssue] = []
    /// Nodes remembered during parsing for checks that run after the whole file is read (e.g. the position of
    /// a `depends_on` entry, reported when its cycle is found).
    var positions: [String: Node] = [:]

    init(file: String) { self.file = file }

    /// Composes the document; a syntax error (including a duplicated key) becomes one issue at its position.
    func compose(_ text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                report("the file is empty", line: 1, column: 1)
                return nil
            }
            return node
        } catch let error as YamlError {
            switch error {
            case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
                 let .composer(context, problem, mark, _):
                let where_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
                report("YAML syntax: \(problem)\(where_)", line: mark.line, column: mark.column)
            case let .duplicatedKeysInMapping(duplicates, context):
                let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
                report("duplicate key \(names) in one mapping", line: context.mark.line, column: context.mark.column)
            default:
                report("YAML syntax: \(error)", line: 1, column: 1)
            }
            return nil
        } catch {
            report("YAML syntax: \(error)", line: 1, column: 1)
            return nil
        }
    }

    func report(_ message: String, at node: Node?) {
        report(message, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1)
    }

    func report(_ message: String, line: Int, column: Int) {
        issues.append(DefinitionIssue(file: file, line: line, column: column, message: message))
    }

    /// Reads a mapping, reporting keys outside `required ∪ optional` and missing required keys.
    func fields(_ node: Node, of what: String, required: [String], optional: [String] = []) -> Fields? {
        guard case let .mapping(mapping) = node else {
            report("\(what) must be a mapping of keys to values", at: node)
            return nil
        }
        let allowed = required + optional
        var values: [String: Node] = [:]
        var keys: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                report("\(what) has a key that is not a string", at: key)
                continue
            }
            guard allowed.contains(name) else {
                report("unknown key '\(name)' in \(what); expected one of: \(allowed.joined(separator: ", "))", at: key)
                continue
            }
            values[name] = value
            keys[name] = key
        }
        for name in required where values[name] == nil {
            report("\(what) is missing required key '\(name)'", at: node)
        }
        return Fields(node: node, values: values, keys: keys)
    }

    func string(_ fields: Fields, _ key: String, in what: String) -> String? {
        guard let node = fields[key] else { return nil }
        guard case let .scalar(scalar) = node, !scalar.string.isEmpty else {
            report("'\(key)' of \(what) must be a non-empty text", at: node)
            return nil
        }
        return scalar.string
    }

    /// Ids are kebab-case ASCII so they are stable in URLs, logs and SQL.
    func identifier(_ fields: Fields, _ key: String, in what: String) -> String? {
        guard let text = string(fields, key, in: what) else { return nil }
        guard Self.isKebabCase(text) else {
            report("'\(key)' of \(what) is '\(text)'; ids are lowercase kebab-case (letters, digits, '-')", at: fields[key])
            return nil
        }
        return text
    }

    static func isKebabCase(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first), text.last != "-" else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            && !text.contains("--")
    }

    func integer(_ fields: Fields, _ key: String, in what: String) -> Int? {
        guard let node = fields[key] else { return nil }
        guard let value = Self.integerValue(node) else {
            report("'\(key)' of \(what) must be a whole number, not '\(node.string ?? "a collection")'", at: node)
            return nil
        }
        return value
    }

    /// A limit in working days: a whole number, zero (即办) allowed, never negative, and at most what the
    /// calendar adds (`WorkdayCalendar.maximumWorkingDays`), so sums of limits and deadlines never overflow.
    func limit(_ fields: Fields, _ key: String, in what: String) -> Int? {
        guard let value = integer(fields, key, in: what) else { return nil }
        guard value >= 0 else {
            report("'\(key)' of \(what) is \(value); a limit in working days cannot be negative", at: fields[key])
            return nil
        }
        guard value <= WorkdayCalendar.maximumWorkingDays else {
            report("'\(key)' of \(what) is \(value); a limit in working days is at most \(WorkdayCalendar.maximumWorkingDays) (about four years)", at: fields[key])
            return nil
        }
        return value
    }

    func boolean(_ fields: Fields, _ key: String, in what: String) -> Bool? {
        guard let node = fields[key] else { return nil }
        guard let value = Self.booleanValue(node) else {
            report("'\(key)' of \(what) must be true or false", at: node)
            return nil
        }
        return value
    }

    func fraction(_ fields: Fields, _ key: String, in what: String) -> Double? {
        guard let node = fields[key] else { return nil }
        guard let value = Self.numberValue(node), value > 0, value <= 1 else {
            report("'\(key)' of \(what) must be a fraction greater than 0 and at most 1", at: node)
            return nil
        }
        return value
    }

    func date(_ node: Node, in what: String) -> CivilDate? {
        guard let text = node.string, let date = CivilDate(input: text) else {
            report("\(what) '\(node.string ?? "?")' is not a date (\(CivilDate.acceptedForm))", at: node)
            return nil
        }
        return date
    }

    func sequence(_ fields: Fields, _ key: String, in what: String) -> [Node]? {
        guard let node = fields[key] else { return nil }
        guard case let .sequence(items) = node else {
            report("'\(key)' of \(what) must be a list", at: node)
            return nil
        }
        return Array(items)
    }

    static func integerValue(_ node: Node) -> Int? {
        guard case let .scalar(scalar) = node, scalar.style == .plain else { return nil }
        return Int(scalar.string)
    }

    static func numberValue(_ node: Node) -> Double? {
        guard case let .scalar(scalar) = node, scalar.style == .plain, booleanValue(node) == nil else { return nil }
        return Double(scalar.string)
    }

    static func booleanValue(_ node: Node) -> Bool? {
        guard case let .scalar(scalar) = node, scalar.style == .plain else { return nil }
        switch scalar.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
}

/// The values of one YAML mapping by key, with their nodes kept for error positions.
struct Fields {
    let node: Node
    let values: [String: Node]
    let keys: [String: Node]

    subscript(key: String) -> Node? { values[key] }
}
