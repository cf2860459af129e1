import ApprovalStore
import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// Around every `/v1` operation: authenticates the bearer token, and turns every error into
/// `application/problem+json`. A request the generated decoder rejects (malformed JSON, unknown field, wrong
/// type, bad parameter) is the caller's fault and gets 400 naming the field; only a failure after the input was
/// understood can be a 500.
struct APIMiddleware: ServerMiddleware {
    let database: Database
    let contract: ContractValidator

    func intercept(_ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
                   next: (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            // A status read fetches its stored answer with the caller, in one round trip (StoredStatusMiddleware);
            // a code with a NUL, which PostgreSQL text cannot hold, is refused by `checked` below instead.
            let statusCode = operationID == "getProjectStatus" ? metadata.pathParameters["code"]?.removingPercentEncoding : nil
            let storedStatusCode = statusCode?.contains("\u{0}") == false ? statusCode : nil
            let (user, storedStatus) = try await authenticate(request, storedStatusFor: storedStatusCode)
            // An upload's body is the file, passed on as it streams in; every other body is JSON, read and checked.
            let streamed = Self.streamedBodies.contains(operationID)
            let data = try await Self.checked(streamed ? nil : body, path: request.path ?? "")
            if let problem = contract.problem(operationID: operationID, request: request, pathParameters: metadata.pathParameters, body: data) {
                throw problem
            }
            let body = streamed ? body : data.map { HTTPBody($0) }
            var (response, responseBody) = try await RequestScope.$user.withValue(user) {
                try await RequestScope.$storedStatus.withValue(storedStatus) { try await next(request, body, metadata) }
            }
            // The runtime percent-encodes header values; ETag and Location must reach the client verbatim.
            for name in [HTTPField.Name.eTag, .location, .contentDisposition, .contentRange] {
                if let value = response.headerFields[name] { response.headerFields[name] = value.removingPercentEncoding ?? value }
            }
            return (response, responseBody)
        } catch {
            return problemResponse(for: Self.classify(error), operationID: operationID)
        }
    }

    static let maximumBodyBytes = 1 << 20

    /// Operations whose body is a file (checked by size and content as it arrives) rather than JSON.
    static let streamedBodies: Set<String> = ["uploadMaterial", "uploadMaterialVersion", "issueDocument"]

    /// PostgreSQL text cannot hold U+0000, so a NUL anywhere in the input is refused here as the caller's
    /// mistake rather than failing later as a database error; bodies are capped at 1 MiB.
    static func checked(_ body: HTTPBody?, path: String) async throws -> Data? {
        if path.lowercased().contains("%00") { throw APIError.badRequest("the path or query contains a NUL character (%00)") }
        guard let body else { return nil }
        let data: Data
        do {
            data = try await Data(collecting: body, upTo: maximumBodyBytes)
        } catch {
            throw APIError(status: 413, type: "/problems/too-large", title: "Request body too large",
                           detail: "request bodies are limited to \(maximumBodyBytes) bytes")
        }
        if data.contains(0) || String(decoding: data, as: UTF8.self).lowercased().contains("\\u0000") {
            throw APIError.badRequest("the body contains a NUL character (\\u0000), which no field accepts")
        }
        // An empty body is no body: a POST with nothing to say (e.g. a re-drive of every dead letter) is not malformed JSON.
        return data.isEmpty ? nil : data
    }

    private func authenticate(_ request: HTTPRequest, storedStatusFor code: String?) async throws -> (User, ProjectStatusDocuments.Stored?) {
        guard let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthenticated
        }
        let token = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.count <= 200 else { throw APIError.unauthenticated }
        let found = try await database.read {
            try await UserRepository.authenticate(token: token, withStoredStatusOf: code, on: $0, logger: database.logger)
        }
        guard let found else { throw APIError.unauthenticated }
        return found
    }

    /// What a failed operation answers: an `APIError` as it is, a decoding or idempotency failure as the caller's,
    /// anything else as a logged 500 (the working pages' calls too, `PageAPI`).
    static func classify(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if DatabaseOutage.contains((error as? ServerError)?.underlyingError ?? error) {
            RequestScope.logger.warning("database unavailable: \(LoggedError.describe((error as? ServerError)?.underlyingError ?? error))")
            return .databaseUnavailable
        }
        guard let serverError = error as? ServerError else { return internalError(error) }
        if let error = serverError.underlyingError as? APIError { return error }
        if let decoding = serverError.underlyingError as? DecodingError { return Self.describe(decoding) }
        if case let .reusedForAnotherRequest(key)? = serverError.underlyingError as? IdempotencyError {
            return APIError(status: 422, type: "/problems/idempotency-key-reused", title: "Idempotency-Key reused",
                            detail: "the key '\(key)' was already used for a different request; use a new key for a new write",
                            field: "Idempotency-Key")
        }
        if serverError.operationInput == nil {
            // The runtime could not make the operation's input: a missing body, a wrong content type, a
            // parameter of the wrong shape.
            return .badRequest(serverError.causeDescription)
        }
        return internalError(serverError.underlyingError)
    }

    private static func internalError(_ error: any Error) -> APIError {
        RequestScope.logger.error("internal error: \(LoggedError.describe(error))")
        return APIError(status: 500, type: "/problems/internal", title: "Internal error",
                        detail: "the server failed; the request id identifies it in the logs")
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String? {
            let keys = codingPath + (last.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? nil : String(text.drop { $0 == "." })
        }
        switch error {
        case let .typeMismatch(type, context):
            return .badRequest("expected \(typeName(type)): \(context.debugDescription)", field: path(context.codingPath))
        case let .valueNotFound(type, context):
            return .badRequest("expected \(typeName(type)), found null", field: path(context.codingPath))
        case let .keyNotFound(key, context):
            return .badRequest("required field '\(key.stringValue)' is missing", field: path(context.codingPath, key))
        case let .dataCorrupted(context):
            let underlying = (context.underlyingError as? NSError).map { ": \($0.localizedDescription)" } ?? ""
            return .badRequest("\(context.debugDescription)\(underlying)", field: path(context.codingPath))
        @unknown default:
            return .badRequest("\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Array") ? "an array" : "an object"
        }
    }

    private func problemResponse(for error: APIError, operationID: String) -> (HTTPResponse, HTTPBody?) {
        var fields: [String: JSONProblemValue] = [
            "type": .string(error.type), "title": .string(error.title), "status": .int(error.status),
            "detail": .string(error.detail), "requestId": .string(RequestScope.requestID),
        ]
        if let field = error.field { fields["field"] = .string(field) }
        if let state = error.state { fields["state"] = .string(state) }
        if !error.errors.isEmpty {
            fields["errors"] = .list(error.errors.map { ["field": $0.field, "detail": $0.detail] })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(fields)) ?? Data()
        var response = HTTPResponse(status: .init(code: error.status))
        response.headerFields[.contentType] = "application/problem+json"
        if let etag = error.etag { response.headerFields[.eTag] = etag }
        if let retryAfter = error.retryAfter { response.headerFields[.retryAfter] = String(retryAfter) }
        if error.status == 401 { response.headerFields[.wwwAuthenticate] = "Bearer" }
        if error.status >= 500 || error.status == 401 {
            RequestScope.logger.warning("\(operationID): \(error.status) \(error.detail)")
        }
        return (response, HTTPBody(data))
    }
}

private enum JSONProblemValue: Encodable {
    case string(String)
    case int(Int)
    case list([[String: String]])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .string(value): try container.encode(value)
        case let .int(value): try container.encode(value)
        case let .list(value): try container.encode(value)
        }
    }
}
