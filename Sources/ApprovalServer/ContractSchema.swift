import ApprovalCore
import ApprovalStore
import Foundation
import Yams

/// One schema of the contract (the part of JSON Schema that openapi.yaml uses), compiled once from the YAML so
/// every request is checked against exactly what the published contract says.
final class ContractSchema: Sendable {
    let types: Set<String>?
    let enumValues: [JSONValue]?
    let properties: [String: ContractSchema]
    let required: [String]
    /// nil: any further property is allowed; `.some(nil)`: none is; `.some(schema)`: each must match it.
    let additionalProperties: ContractSchema??
    let items: ContractSchema?
    let alternatives: [ContractSchema]
    let minLength: Int?
    let maxLength: Int?
    let pattern: String?
    // Compiled once; a Regex is immutable after compilation.
    nonisolated(unsafe) let regex: Regex<AnyRegexOutput>?
    let minimum: Double?
    let maximum: Double?
    let minItems: Int?
    let maxItems: Int?
    let maxProperties: Int?
    let format: String?

    /// Compiles `node`, following `$ref`s into `document`'s components; refuses a schema keyword it would not check,
    /// so a bound added to the contract can never be silently ignored.
    static func make(_ node: Node, in document: Node, depth: Int = 0) throws(ContractError) -> ContractSchema {
        guard depth < 32 else { throw ContractError("schemas nest deeper than 32 levels (a $ref cycle?)") }
        guard let reference = node["$ref"]?.string else { return try ContractSchema(node, in: document, depth: depth) }
        return try make(try resolve(reference, in: document), in: document, depth: depth + 1)
    }

    static func resolve(_ reference: String, in document: Node) throws(ContractError) -> Node {
        let path = reference.split(separator: "/").dropFirst().map(String.init)
        guard reference.hasPrefix("#/"), let target = path.reduce(Optional(document), { $0?[$1] }) else {
            throw ContractError("unresolvable $ref \(reference)")
        }
        return target
    }

    private init(_ node: Node, in document: Node, depth: Int) throws(ContractError) {
        let known: Set<String> = ["type", "enum", "properties", "required", "additionalProperties", "items", "oneOf", "minLength",
                                  "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems", "maxProperties", "format", "description",
                                  "default", "example"]
        for (key, _) in node.mapping ?? [:] where !known.contains(key.string ?? "") {
            throw ContractError("schema keyword '\(key.string ?? "?")' (line \(key.mark?.line ?? 0)) is not checked by the server")
        }
        if let type = node["type"] {
            types = Set(type.sequence.map { $0.compactMap(\.string) } ?? [type.string].compactMap { $0 })
        } else {
            types = nil
        }
        enumValues = node["enum"]?.sequence?.map { value in
            if let text = value.string, value.scalar?.style == .plain, text == "null" { return JSONValue.null }
            return value.int.map { .int(Int64($0)) } ?? .string(value.string ?? "")
        }
        var properties: [String: ContractSchema] = [:]
        for (key, value) in node["properties"]?.mapping ?? [:] {
            properties[key.string ?? ""] = try ContractSchema.make(value, in: document, depth: depth + 1)
        }
        self.properties = properties
        required = node["required"]?.sequence?.compactMap(\.string) ?? []
        if let additional = node["additionalProperties"] {
            additionalProperties = additional.bool == false ? .some(nil) : .some(try ContractSchema.make(additional, in: document, depth: depth + 1))
        } else {
            additionalProperties = nil
        }
        items = try node["items"].map { node throws(ContractError) in try ContractSchema.make(node, in: document, depth: depth + 1) }
        var alternatives: [ContractSchema] = []
        for alternative in node["oneOf"]?.sequence ?? [] {
            alternatives.append(try ContractSchema.make(alternative, in: document, depth: depth + 1))
        }
        self.alternatives = alternatives
        minLength = node["minLength"]?.int
        maxLength = node["maxLength"]?.int
        pattern = node["pattern"]?.string
        minimum = node["minimum"]?.float
        maximum = node["maximum"]?.float
        minItems = node["minItems"]?.int
        maxItems = node["maxItems"]?.int
        maxProperties = node["maxProperties"]?.int
        format = node["format"]?.string
        do {
            regex = try pattern.map { try Regex($0) }
        } catch {
            throw ContractError("pattern '\(pattern ?? "")' is not a regular expression")
        }
    }

    /// Checks `value` at `field` (a JSON path such as `promisedDays[0].days`), adding every problem found.
    func check(_ value: JSONValue, at field: String, into problems: inout ContractProblems) {
        if !alternatives.isEmpty {
            let trials = alternatives.map { alternative in
                var trial = ContractProblems()
                alternative.check(value, at: field, into: &trial)
                return trial
            }
            guard !trials.contains(where: \.isEmpty) else { return }
            // A value of an allowed type that breaks that form's bounds (a string too long) is a rule problem.
            if let closest = trials.first(where: { $0.shapeProblems.isEmpty }) {
                closest.ruleProblems.forEach { problems.rule($0.field, $0.detail) }
            } else {
                problems.shape(field, "does not match any of the allowed forms")
            }
            return
        }
        if let types, !types.contains(where: { Self.value(value, hasType: $0) }) {
            let expected = types.sorted().map { $0 == "null" ? "null" : "\(Self.article($0)) \($0)" }.joined(separator: " or ")
            problems.shape(field, value == .null ? "must not be null (expected \(expected))" : "expected \(expected)")
            return
        }
        if let enumValues, !enumValues.contains(value) {
            let allowed = enumValues.map { $0.stringValue ?? $0.canonicalText }.joined(separator: ", ")
            problems.shape(field, "must be one of \(allowed)")
            return
        }
        switch value {
        case let .string(text): check(text: text, at: field, into: &problems)
        case let .int(number): check(number: Double(number), integer: number, at: field, into: &problems)
        case let .double(number): check(number: number, integer: nil, at: field, into: &problems)
        case let .array(elements):
            if let minItems, elements.count < minItems { problems.rule(field, "must list at least \(minItems) \(minItems == 1 ? "entry" : "entries")") }
            if let maxItems, elements.count > maxItems { problems.rule(field, "must list at most \(maxItems) entries") }
            if let items {
                for (index, element) in elements.enumerated() { items.check(element, at: "\(field)[\(index)]", into: &problems) }
            }
        case let .object(fields):
            let prefix = field.isEmpty ? "" : "\(field)."
            if let maxProperties, fields.count > maxProperties { problems.rule(field, "must have at most \(maxProperties) fields") }
            for name in required where fields[name] == nil { problems.shape(prefix + name, "required field '\(name)' is missing") }
            for (name, element) in fields.sorted(by: { $0.key < $1.key }) {
                if let schema = properties[name] {
                    schema.check(element, at: prefix + name, into: &problems)
                } else if case let .some(additional) = additionalProperties {
                    if let additional {
                        additional.check(element, at: prefix + name, into: &problems)
                    } else {
                        problems.shape(prefix + name, "is not a field of this request")
                    }
                }
            }
        case .null, .bool: break
        }
    }

    /// Checks a parameter's text (path, query or header) as the value its schema describes.
    func check(parameter text: String, at field: String, into problems: inout ContractProblems) {
        let declared = types ?? ["string"]
        if declared.contains("integer") {
            guard let number = Int64(text) else { return problems.shape(field, "expected an integer, not '\(text.prefix(40))'") }
            check(.int(number), at: field, into: &problems)
        } else if declared.contains("boolean") {
            guard text == "true" || text == "false" else { return problems.shape(field, "expected true or false, not '\(text.prefix(40))'") }
        } else {
            check(.string(text), at: field, into: &problems)
        }
    }

    private func check(text: String, at field: String, into problems: inout ContractProblems) {
        // JSON Schema counts code points (what a database column holds), not the characters a reader sees: "a"
        // with a thousand combining accents is one character and three kilobytes.
        let length = text.unicodeScalars.count
        if let minLength, length < minLength { problems.rule(field, minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters long") }
        if let maxLength, length > maxLength { problems.rule(field, "must be at most \(maxLength) characters long (it has \(length))") }
        if let pattern, let regex, (try? regex.firstMatch(in: text)) == nil {
            problems.rule(field, "must match \(pattern)")
        }
        switch format {
        case "date":
            if CivilDate(iso: text) == nil { problems.rule(field, "must be a date as YYYY-MM-DD, not '\(text.prefix(40))'") }
        case "date-time":
            if (try? Date.ISO8601FormatStyle().parse(text)) == nil, (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) == nil {
                problems.rule(field, "must be a date and time as in 2026-03-02T09:00:00+08:00, not '\(text.prefix(40))'")
            }
        default: break
        }
    }

    private func check(number: Double, integer: Int64?, at field: String, into problems: inout ContractProblems) {
        let shown = integer.map(String.init) ?? "\(number)"
        if let minimum, number < minimum { problems.rule(field, "must be at least \(Self.show(minimum)), not \(shown)") }
        if let maximum, number > maximum { problems.rule(field, "must be at most \(Self.show(maximum)), not \(shown)") }
        if format == "int32", integer.map({ Int32(exactly: $0) == nil }) ?? true { problems.rule(field, "must be a 32-bit integer") }
    }

    private static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("integer", .int),
             ("number", .int), ("number", .double): true
        // JSON Schema counts 2.0 as an integer; a number outside Int64 is not one this server can take.
        case let ("integer", .double(number)): number.rounded() == number && Int64(exactly: number) != nil
        default: false
        }
    }

    private static func article(_ type: String) -> String { type == "integer" || type == "object" || type == "array" ? "an" : "a" }
    private static func show(_ number: Double) -> String { number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)" }
}

/// What a request got wrong: shape (a wrong type, a missing or unknown field, a value outside an enumeration:
/// the request cannot be read) answers 400; rules (lengths, ranges, patterns, counts, formats) answer 422.
struct ContractProblems {
    private(set) var shapeProblems: [APIError.FieldProblem] = []
    private(set) var ruleProblems: [APIError.FieldProblem] = []
    var isEmpty: Bool { shapeProblems.isEmpty && ruleProblems.isEmpty }

    mutating func shape(_ field: String, _ detail: String) { shapeProblems.append(.init(field: field.isEmpty ? "body" : field, detail: detail)) }
    mutating func rule(_ field: String, _ detail: String) { ruleProblems.append(.init(field: field.isEmpty ? "body" : field, detail: detail)) }

    /// Every problem of the worse kind, so a caller mending one field does not meet the next one by one.
    var error: APIError? {
        if !shapeProblems.isEmpty {
            var error = APIError.invalid(shapeProblems)
            error.status = 400
            error.type = "/problems/invalid-request"
            error.title = "The request is not valid"
            return error
        }
        return ruleProblems.isEmpty ? nil : APIError.invalid(ruleProblems)
    }
}

struct ContractError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "openapi.yaml: \(description)" }
}
