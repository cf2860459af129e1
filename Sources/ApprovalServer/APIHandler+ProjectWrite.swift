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
        try await idempotentWrite(key: idempotencyKey, operation: operation, target: code, request: request, status: 200) { connection, user in
            var (record, project) = try await lockVisibleProject(code, user: user, ifMatch: ifMatch, on: connection)
            let today = context.today
            let events = try await change(&record, &project, today, user, connection)
            try await append(events, to: &record, on: connection)
            return try await saveAndRespond(&record, project, today: today, on: connection)
        }
    }

    /// The same path for a change that answers with something other than the project's status (an agreement,
    /// a progress update, a case, a rating): `change` writes its rows and returns its events and the answer.
    func changeProject<Body: Codable & Sendable>(
        code: String, operation: String, request: some Encodable, idempotencyKey: String?, status: Int = 200,
        _ change: (inout ProjectRecord, Project, CivilDate, User, PostgresConnection) async throws -> (events: [NewEvent], body: Body)
    ) async throws -> Body {
        try await idempotentWrite(key: idempotencyKey, operation: operation, target: code, request: request, status: status) { connection, user in
            var (record, project) = try await lockVisibleProject(code, user: user, ifMatch: nil, on: connection)
            let today = context.today
            let (events, body) = try await change(&record, project, today, user, connection)
            try await append(events, to: &record, on: connection)
            try await context.save(&record, project, today: today, on: connection)
            return body
        }
    }

    private func append(_ events: [NewEvent], to record: inout ProjectRecord, on connection: PostgresConnection) async throws {
        for event in events {
            try await ProjectRepository.append(event, to: &record, on: connection, logger: context.logger)
        }
    }

    /// A read of one visible project: its row and rebuilt state, in one read transaction.
    func readProject<Body: Sendable>(_ code: String,
                                     _ read: (ProjectRecord, Project, CivilDate, User, PostgresConnection) async throws -> Body) async throws -> Body {
        let user = try currentUser()
        return try await database.read { connection in
            guard let record = try await ProjectRepository.find(code: code, on: connection, logger: context.logger) else {
                throw APIError.notFound("project \(code)", field: "code")
            }
            let project = try await ProjectRepository.load(record, registry: context.registry, on: connection, logger: context.logger)
            guard Access.canSee(record, project, user: user) else { throw APIError.notFound("project \(code)", field: "code") }
            return try await read(record, project, context.today, user, connection)
        }
    }

    /// Runs a write in one transaction under the caller's `Idempotency-Key`: the key is claimed first, the
    /// response is stored before commit, and a retry with the same key and request gets the stored response
    /// instead of writing again (a concurrent retry waits on the first one's key row, then sees its outcome).
    func idempotentWrite<Body: Codable & Sendable>(key: String?, operation: String, target: String, request: some Encodable, status: Int,
                                                   _ write: (PostgresConnection, User) async throws -> Body) async throws -> Body {
        let user = try currentUser()
        let digest = try Self.requestDigest(operation: operation, target: target, request: request)
        return try await database.transaction { connection in
            if let key, case let .replay(stored) = try await Idempotency.claim(userID: user.id, key: key, requestDigest: digest,
                                                                               on: connection, logger: context.logger) {
                return try JSONDecoder().decode(Body.self, from: Data(stored.body.utf8))
            }
            let body = try await write(connection, user)
            if let key {
                let text = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
                try await Idempotency.record(userID: user.id, key: key, response: .init(status: status, body: text),
                                             on: connection, logger: context.logger)
            }
            return body
        }
    }

    /// What identifies a request for idempotency: the operation, its target and its body (keys sorted, so the
    /// same JSON in another key order is the same request).
    static func requestDigest(operation: String, target: String, request: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Idempotency.requestDigest(operation: operation, target: target, body: try encoder.encode(request))
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
        let saved = try await context.save(&record, project, today: today, on: connection)
        return try await respond(record, project, view: saved.view, documents: saved.documents, lastProgress: saved.lastProgress,
                                 today: today, on: connection)
    }

    /// The project's status as answered to every read and write: the engine's view with the agent and the
    /// agency service's state.
    func respond(_ record: ProjectRecord, _ project: Project, view: ProjectView, documents: [String: FormalDocument],
                 lastProgress progress: ProgressUpdate?, today: CivilDate, on connection: PostgresConnection) async throws -> ProjectResponse {
        let agent = try await record.agentID.asyncFlatMap { try await UserRepository.find($0, on: connection, logger: context.logger) }
        let agreement = try await AgencyAgreementRepository.all(projectID: record.id, on: connection, logger: context.logger).last
        let agency = ProjectStatusMapper.Agency(agreement: agreement, lastProgress: progress, today: today)
        return ProjectResponse(status: ProjectStatusMapper.status(record, project, view, agent: agent, documents: documents, agency: agency),
                               etag: record.etag)
    }
}

extension Optional {
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
