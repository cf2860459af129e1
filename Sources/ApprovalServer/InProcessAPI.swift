import ApprovalAPI
import ApprovalStore

/// The API's handlers called in-process, as a signed-in user, so that what such a caller writes (the demo data)
/// takes exactly the road an HTTP request takes after authentication: the same checks, events and audit chain.
public struct InProcessAPI: Sendable {
    private let handler: APIHandler

    public init(context: ServerContext) {
        handler = APIHandler(context: context)
    }

    public func call<Result>(as user: User?, _ body: (any APIProtocol) async throws -> Result) async throws -> Result {
        try await RequestScope.$user.withValue(user) { try await body(handler) }
    }
}
