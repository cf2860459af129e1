import ApprovalAPI
import ApprovalStore
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// The API as the working pages call it: the request a form stands for is checked against the published contract
/// exactly as an HTTP request to `/v1` is, then the API's own handler runs as the signed-in user. Pages hold no
/// rule and no access check of their own.
struct PageAPI {
    let handler: APIHandler
    let contract: ContractValidator

    init(context: ServerContext) throws {
        handler = APIHandler(context: context)
        contract = try ContractValidator.published.get()
    }

    /// Runs `operation` for `user`; `path` (with its query) and `body` are what an HTTP client would have sent.
    func call<Result>(_ operation: String, as user: User, path: String, pathParameters: [String: String] = [:], body: (any Encodable)? = nil, idempotencyKey: String? = nil,
                      _ run: (APIHandler) async throws -> Result) async throws -> Result {
        // The checks `/v1` makes before its contract check: no NUL anywhere (PostgreSQL text cannot hold one).
        let data = try await APIMiddleware.checked(try body.map { HTTPBody(try JSONEncoder().encode($0)) }, path: "/v1" + path)
        var request = HTTPRequest(method: data == nil ? .get : .post, scheme: nil, authority: nil, path: "/v1" + path)
        if let idempotencyKey { request.headerFields[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        if let problem = contract.problem(operationID: operation, request: request,
                                          pathParameters: pathParameters.mapValues { Substring($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }, body: data) {
            throw problem
        }
        do {
            return try await RequestScope.$user.withValue(user) { try await run(handler) }
        } catch {
            throw APIMiddleware.classify(error)
        }
    }
}
