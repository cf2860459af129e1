import ApprovalStore
import Logging

/// What the HTTP layer learned about the current request, available to the handlers of the generated API
/// (whose inputs carry only what the spec declares).
enum RequestScope {
    @TaskLocal static var requestID = "-"
    @TaskLocal static var logger = Logger(label: "approvals")
    @TaskLocal static var user: User?
    /// A status read's stored answer, fetched with the caller by `APIMiddleware`.
    @TaskLocal static var storedStatus: ProjectStatusDocuments.Stored?
}
