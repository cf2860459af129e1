import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import PostgresNIO

/// The one path every change to an existing project takes: claim the idempotency key, lock the project row,
/// rebuild it, check visibility and If-Match, let the caller decide, then write the new state, its events and
/// the stored response in one transaction.
extension APIHandler {
    typealias ProjectChange = (inout ProjectRecord, inout Project, CivilDate, User, PostgresConnection) async throws -> [NewEvent]

    func writeProject(code: String, operation: String, request: some Encodable, ifMatch: String?, idempotencyKey: String?,
                      _ change: ProjectChange) async throws -> ProjectResponse {
        let user = try currentUser()
        let requestDigest = try Self.digest(operation: operation, target: code, request: request)
        return try await database.transaction { connection in
            if let idempotencyKey, case let .replay(stored) = try await Idempotency.claim(
                userID: user.id, key: idempotencyKey, requestDigest: requestDigest, on: connection, logger: context.logger) {
                return try Self.replay(stored)
            }
            var (record, project) = try await lockVisibleProject(code, user: user, ifMatch: ifMatch, on: connection)
            let today = context.today(for: project.workflow)
            let events = try await change(&record, &project, today, user, connection)
            for event in events {
                try await ProjectRepository.append(event, to: &record, on: connection, logger: context.logger)
            }
            let response = try await saveAndRespond(&record, project, today: today, on: connection)
            if let idempotencyKey {
                try await Idempotency.record(userID: user.id, key: idempotencyKey, response: Self.stored(response, status: 200),
                                             on: connection, logger: context.logger)
            }
            return response
        }
    }

    /// Locks the project row for the rest of the transaction (writers of one project take turns) and rebuilds
    /// the project; 404 when the caller may not see it, 412 when If-Match is stale.
    func lockVisibleProject(_ code: String, user: User, ifMatch: String?,
                            on connection: PostgresConnection) async throws -> (ProjectRecord, Project) {
        guard let record = try await ProjectRepository.lock(code: code, on: connection, logger: context.logger) else {
            throw APIError.notFound("project \(code)", field: "code")
        }
        let project = try await ProjectRepository.load(record, registry: context.registry, on: connection, logger: context.logger)
        guard Access.canSee(record, project, user: user) else { throw APIError.notFound("project \(code)", field: "code") }
        if let ifMatch, ifMatch != "*", ifMatch != record.etag, ifMatch != "W/\(record.etag)" {
            throw APIError.stale(currentETag: record.etag)
        }
        return (record, project)
    }

    /// Writes the project's row and item rows as of today and builds the status answered to the caller.
    func saveAndRespond(_ record: inout ProjectRecord, _ project: Project, today: CivilDate,
                        on connection: PostgresConnection) async throws -> ProjectResponse {
        let (view, documents) = try await context.save(&record, project, today: today, on: connection)
        let agent = try await record.agentID.asyncFlatMap { try await UserRepository.find($0, on: connection, logger: context.logger) }
        return ProjectResponse(status: ProjectStatusMapper.status(record, project, view, agent: agent, documents: documents), etag: record.etag)
    }

    static func digest(operation: String, target: String, request: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Idempotency.requestDigest(operation: operation, target: target, body: try encoder.encode(request))
    }

    static func stored(_ response: ProjectResponse, status: Int) throws -> Idempotency.StoredResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Idempotency.StoredResponse(status: status, body: String(decoding: try encoder.encode(response.status), as: UTF8.self),
                                          etag: response.etag)
    }

    static func replay(_ stored: Idempotency.StoredResponse) throws -> ProjectResponse {
        let status = try JSONDecoder().decode(Components.Schemas.ProjectStatus.self, from: Data(stored.body.utf8))
        return ProjectResponse(status: status, etag: stored.etag ?? "\"\(status.version)\"")
    }
}

extension Optional {
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
