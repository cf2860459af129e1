import ApprovalStore
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Answers a status read (`getProjectStatus`) with the stored answer when the project has not changed and the
/// day has not turned since it was computed: the lookup that authenticated the caller (`APIMiddleware`) also
/// fetched it, so the read is one round trip instead of a replay and seven. Anything else —
/// no stored answer, a stale one, a caller who may not see the project — goes on to the handler, which
/// computes the answer (and its refusals) as always and stores it for the next read.
struct StoredStatusMiddleware: ServerMiddleware {
    let context: ServerContext

    func intercept(_ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
                   next: (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        guard operationID == "getProjectStatus", let user = RequestScope.user, let stored = RequestScope.storedStatus,
              stored.documentVersion == stored.projectVersion,
              context.registry.versions[stored.workflowVersionID] != nil, stored.asOf == context.today,
              Access.canSee(region: stored.region, investorOrganisation: stored.investorOrganisation, agentID: stored.agentID, user: user,
                            reviews: stored.departments.contains)
        else {
            return try await next(request, body, metadata)
        }
        context.metrics.recordStatusAnswer(stored: true)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.eTag] = ProjectRecord.etag(version: stored.projectVersion)
        return (HTTPResponse(status: .ok, headerFields: headers), HTTPBody(stored.body.readableBytesView))
    }
}
