import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation

/// Implements the generated `/v1` API (Sources/ApprovalAPI/openapi.yaml). Each operation lives in the
/// `APIHandler+<facet>.swift` file of its resource.
struct APIHandler: APIProtocol {
    let context: ServerContext

    var database: Database { context.database }

    /// The caller, authenticated by `APIMiddleware` before any operation runs.
    func currentUser() throws(APIError) -> User {
        guard let user = RequestScope.user else { throw .unauthenticated }
        return user
    }
}

/// A project's status and ETag as returned by every project read and write (and replayed for a retried one).
struct ProjectResponse: Sendable, Codable {
    let status: Components.Schemas.ProjectStatus
    let etag: String
}
