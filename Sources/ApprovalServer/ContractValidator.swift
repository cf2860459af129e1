import ApprovalCore
import ApprovalAPI
import ApprovalStore
import Foundation
import HTTPTypes
import OpenAPIRuntime
import Yams

/// The published contract as the one validator of every `/v1` request: each operation's parameters and JSON body
/// are checked against the bounds openapi.yaml states (lengths, patterns, ranges, counts, required and non-null
/// fields, formats) before any handler runs, so no handler checks a bound by hand and nothing is written for a
/// request the contract refuses. swift-openapi-generator decodes types but checks none of these bounds.
struct ContractValidator: Sendable {
    struct Parameter: Sendable {
        enum Location: String, Sendable { case path, query, header }
        let name: String
        let location: Location
        let required: Bool
        let schema: ContractSchema
    }

    struct Operation: Sendable {
        let parameters: [Parameter]
        let body: ContractSchema?
    }

    let operations: [String: Operation]

    /// The contract the server publishes at /openapi.yaml.
    static let published: Result<ContractValidator, ContractError> = Result { () throws(ContractError) in
        try ContractValidator(contract: OpenAPIDocument.text)
    }

    init(contract text: String) throws(ContractError) {
        let document: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ContractError("the document is empty") }
            document = node
        } catch let error as ContractError {
            throw error
        } catch {
            throw ContractError("not readable YAML: \(error)")
        }
        var operations: [String: Operation] = [:]
        for (_, pathItem) in document["paths"]?.mapping ?? [:] {
            let shared = try Self.parameters(pathItem["parameters"], in: document)
            for method in ["get", "put", "post", "patch", "delete"] {
                guard let operation = pathItem[method], let id = operation["operationId"]?.string else { continue }
                let own = try Self.parameters(operation["parameters"], in: document)
                let body = try operation["requestBody"]?["content"]?["application/json"]?["schema"]
                    .map { node throws(ContractError) in try ContractSchema.make(node, in: document) }
                operations[id] = Operation(parameters: shared.filter { parameter in !own.contains { $0.name == parameter.name } } + own,
                                           body: body)
            }
        }
        guard !operations.isEmpty else { throw ContractError("no operations found") }
        self.operations = operations
    }

    private static func parameters(_ list: Node?, in document: Node) throws(ContractError) -> [Parameter] {
        var parameters: [Parameter] = []
        for var node in list?.sequence ?? [] {
            if let reference = node["$ref"]?.string { node = try ContractSchema.resolve(reference, in: document) }
            guard let name = node["name"]?.string, let location = node["in"]?.string.flatMap(Parameter.Location.init),
                  let schema = node["schema"] else {
                throw ContractError("a parameter (line \(node.mark?.line ?? 0)) lacks a name, a location or a schema")
            }
            parameters.append(Parameter(name: name, location: location, required: node["required"]?.bool ?? (location == .path),
                                        schema: try ContractSchema.make(schema, in: document)))
        }
        return parameters
    }

    /// The problem with a request, or nil when the contract accepts it. `body` is the request's JSON, already read.
    func problem(operationID: String, request: HTTPRequest, pathParameters: [String: Substring], body: Data?) -> APIError? {
        guard let operation = operations[operationID] else { return nil }
        var problems = ContractProblems()
        let query = Self.queryItems(request.path ?? "")
        for parameter in operation.parameters {
            let value: String?
            switch parameter.location {
            case .path: value = pathParameters[parameter.name].map { $0.removingPercentEncoding ?? "\u{FFFD}" }
            case .query: value = query[parameter.name]
            case .header: value = HTTPField.Name(parameter.name).flatMap { request.headerFields[$0] }
            }
            guard let value else {
                if parameter.required { problems.shape(parameter.name, "required \(parameter.location.rawValue) parameter '\(parameter.name)' is missing") }
                continue
            }
            parameter.schema.check(parameter: value, at: parameter.name, into: &problems)
        }
        if let body {
            // Whatever its Content-Type says: the generated decoder reads JSON for a wildcard or unreadable type too,
            // so a body is checked whenever there is one.
            guard let schema = operation.body else { return .badRequest("this operation takes no request body", field: "body") }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: body) else {
                return .badRequest("the body is not valid JSON", field: "body")
            }
            schema.check(value, at: "", into: &problems)
        }
        return problems.error
    }

    /// The query's parameters, decoded; the first of a repeated name counts, as for the generated decoder.
    private static func queryItems(_ path: String) -> [String: String] {
        guard let start = path.firstIndex(of: "?") else { return [:] }
        var items: [String: String] = [:]
        for pair in path[path.index(after: start)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            // U+FFFD marks a broken escape (%zz), which no parameter's pattern or enumeration accepts.
            let decode = { (text: Substring) in text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "\u{FFFD}" }
            let name = decode(parts[0])
            if items[name] == nil { items[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return items
    }

}
