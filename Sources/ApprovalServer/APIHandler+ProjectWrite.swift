import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import Logging
import PostgresNIO

/// The one path every change to an existing project takes: read the project as it stands (one statement, no
/// lock), check visibility and If-Match, decide, then write the new state, its events, its notifications and
/// the answer stored under the caller's `Idempotency-Key` in one statement that applies only if the project's
/// version is still the one read (`ProjectWrite`). A change that lost that race to another reads and decides
/// again; a retry of an answered key gets the stored answer.
extension APIHandler {
    /// What a change sees and leaves.
    struct ProjectChange {
        let loaded: LoadedProject
        var record: ProjectRecord
        var project: Project
        let today: CivilDate
        let user: User
        /// The formal documents and the newest progress update as they will stand (for the next due instant).
        var documents: [String: FormalDocument]
        var lastProgress: ProgressUpdate?
        /// The materials the items' applications carry, as they will stand.
        var attachments: [String: [String: AttachedMaterial]]
        var events: [NewEvent] = []
        var issuedDocuments: [ProjectWrite.IssuedDocument] = []

        init(loaded: LoadedProject, project: Project, today: CivilDate, user: User) {
            self.loaded = loaded
            record = loaded.record
            self.project = project
            self.today = today
            self.user = user
            documents = loaded.documents
            lastProgress = loaded.lastProgress
            attachments = loaded.attachments
        }

        /// Records the formal document owed for `itemID` as issued.
        mutating func issue(_ document: FormalDocument, number: String) {
            documents[document.itemID] = document.issued(number, on: today)
            issuedDocuments.append(.init(projectID: record.id, itemID: document.itemID, number: number, on: today))
        }
    }

    /// A change decided from the project alone (an item action): a read, one statement, and the answer; no
    /// transaction is opened, as the statement commits whole by itself.
    func decideProject(code: String, operation: String, request: some Encodable, ifMatch: String?, idempotencyKey: String?,
                       _ decide: (inout ProjectChange) throws -> Void) async throws -> ProjectResponse {
        try await write(code: code, operation: operation, request: request, ifMatch: ifMatch, idempotencyKey: idempotencyKey, status: 200,
                        writesRows: false) { change, _ in try decide(&change) } answer: { change, save, _ in
            respond(save, agent: change.loaded.agent, agreement: change.loaded.agreement, documents: change.documents,
                    lastProgress: change.lastProgress, attachments: change.attachments, today: change.today)
        }
    }

    typealias ProjectRowsChange = (inout ProjectRecord, inout Project, CivilDate, User, PostgresConnection) async throws -> [NewEvent]

    /// A change that writes rows of its own besides the project's (an assignment, a meeting's minutes): they
    /// and the project's statement run in one transaction, answered with the project's status.
    func writeProject(code: String, operation: String, request: some Encodable, ifMatch: String?, idempotencyKey: String?,
                      _ change: ProjectRowsChange) async throws -> ProjectResponse {
        try await write(code: code, operation: operation, request: request, ifMatch: ifMatch, idempotencyKey: idempotencyKey, status: 200,
                        writesRows: true) { state, connection in
            state.events += try await change(&state.record, &state.project, state.today, state.user, connection)
        } answer: { change, save, connection in
            // The change may have replaced the agent or the agreement: the status shows them as they now stand.
            let agent = try await save.record.agentID.asyncFlatMap { try await UserRepository.find($0, on: connection, logger: context.logger) }
            let agreement = try await AgencyAgreementRepository.all(projectID: save.record.id, on: connection, logger: context.logger).last
            return respond(save, agent: agent, agreement: agreement, documents: change.documents, lastProgress: change.lastProgress,
                           attachments: change.attachments, today: change.today)
        }
    }

    /// The same for a change that answers with something other than the project's status (an agreement, a
    /// progress update, a case, a rating): `change` writes its rows and returns its events and the answer.
    func changeProject<Body: Codable & Sendable>(
        code: String, operation: String, request: some Encodable, idempotencyKey: String?, status: Int = 200,
        _ change: (inout ProjectRecord, Project, CivilDate, User, PostgresConnection) async throws -> (events: [NewEvent], body: Body)
    ) async throws -> Body {
        var body: Body?
        return try await write(code: code, operation: operation, request: request, ifMatch: nil, idempotencyKey: idempotencyKey,
                               status: status, writesRows: true) { state, connection in
            let (events, answer) = try await change(&state.record, state.project, state.today, state.user, connection)
            state.events += events
            body = answer
        } answer: { _, _, _ in
            guard let body else { throw APIError.conflict("the change gave no answer") }
            return body
        }
    }

    /// How often a change is decided again after losing the race for its project before the caller is told to
    /// retry: each loss means another change of the same project committed in between.
    static let writeAttempts = 8

    /// The project was changed between this change's read and its write.
    private struct ChangedMeanwhile: Error {}

    func write<Body: Codable & Sendable>(
        code: String, operation: String, request: some Encodable, ifMatch: String?, idempotencyKey: String?, status: Int,
        writesRows: Bool, _ decide: (inout ProjectChange, PostgresConnection) async throws -> Void,
        answer: (ProjectChange, ProjectSave, PostgresConnection) async throws -> Body
    ) async throws -> Body {
        let user = try currentUser()
        let digest = try Self.requestDigest(operation: operation, target: code, request: request)
        await context.paces.refreshIfDue(context)
        return try await database.read { connection in
            for _ in 1...Self.writeAttempts {
                guard let loaded = try await LoadedProject.read(code: code, userID: user.id, idempotencyKey: idempotencyKey,
                                                                  on: connection, logger: context.logger) else {
                    throw APIError.notFound("project \(code)", field: "code")
                }
                if let key = idempotencyKey, let stored = loaded.stored {
                    guard stored.requestDigest == digest, let response = stored.response else { throw IdempotencyError.reusedForAnotherRequest(key: key) }
                    return try JSONDecoder().decode(Body.self, from: Data(response.body.utf8))
                }
                let project = try await ProjectRepository.load(loaded.record, registry: context.registry, on: connection, logger: context.logger)
                guard Access.canSee(loaded.record, project, user: user) else { throw APIError.notFound("project \(code)", field: "code") }
                if let ifMatch, ifMatch != "*", ifMatch != loaded.record.etag, ifMatch != "W/\(loaded.record.etag)" {
                    throw APIError.stale(currentETag: loaded.record.etag)
                }
                var change = ProjectChange(loaded: loaded, project: project, today: context.today, user: user)
                do {
                    let body: Body
                    if writesRows {
                        body = try await connection.inTransaction(logger: context.logger) {
                            // Rows of its own are decided from reads of them (the agreement in force, the agent
                            // assigned), so such changes of one project take turns on its row, as read.
                            guard try await ProjectRepository.lock(id: loaded.record.id, version: loaded.record.version,
                                                                   on: connection, logger: context.logger) else { throw ChangedMeanwhile() }
                            try await decide(&change, connection)
                            try await change.readAgainAfterRows(on: connection, logger: context.logger)
                            return try await persist(change, key: idempotencyKey, digest: digest, status: status, answer: answer, on: connection)
                        }
                    } else {
                        try await decide(&change, connection)
                        body = try await persist(change, key: idempotencyKey, digest: digest, status: status, answer: answer, on: connection)
                    }
                    recordDecisions(change)
                    return body
                } catch is ChangedMeanwhile {
                    continue
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" && error.serverInfo?[.tableName] == "idempotency_keys" {
                    // The same key answered another change that committed first: the next read finds its answer.
                    continue
                }
            }
            throw APIError.conflict("project \(code) kept changing while this change was decided; retry it", type: "/problems/busy")
        }
    }

    /// Counts the default approvals and escalations a person's change caused (a meeting's absences), once it is
    /// written; the sweeper counts its own.
    private func recordDecisions(_ change: ProjectChange) {
        for event in change.events {
            switch event.event {
            case let .item(transition):
                guard case let .defaultApprove(reason) = transition.action, let itemID = event.itemID,
                      let department = change.project.item(itemID)?.definition.department else { continue }
                context.metrics.recordDefaultApproval(reason: reason.rawValue, department: department)
            case let .meetingAbsenceEscalated(_, department, _):
                context.metrics.recordEscalation(department: department)
            default:
                continue
            }
        }
    }

    /// Writes the change as decided: its events appended to the chain, the project's rows, and the answer.
    private func persist<Body: Codable & Sendable>(
        _ change: ProjectChange, key: String?, digest: Data, status: Int,
        answer: (ProjectChange, ProjectSave, PostgresConnection) async throws -> Body, on connection: PostgresConnection
    ) async throws -> Body {
        var write = ProjectWrite()
        var record = change.record
        for event in change.events { write.events.append(event, to: &record) }
        let save = context.projectSave(record, change.project, today: change.today, documents: change.documents, lastProgress: change.lastProgress)
        write.saves = [save]
        write.issuedDocuments = change.issuedDocuments
        let body = try await answer(change, save, connection)
        if let key {
            let text = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
            write.answer = .init(userID: change.user.id, key: key, requestDigest: digest, response: .init(status: status, body: text))
        }
        guard try await write.write(on: connection, logger: context.logger) else { throw ChangedMeanwhile() }
        return body
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

    /// Runs a write that creates rather than changes (a project, a webhook) in one transaction under the
    /// caller's `Idempotency-Key`: the key is claimed first, the response is stored before commit, and a retry
    /// with the same key and request gets the stored response instead of writing again (a concurrent retry waits
    /// on the first one's key row, then sees its outcome).
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

    /// The status of a project as saved, with its agency service's state as the change left it.
    func respond(_ save: ProjectSave, agent: User?, agreement: AgencyAgreement?, documents: [String: FormalDocument],
                 lastProgress progress: ProgressUpdate?, attachments: [String: [String: AttachedMaterial]] = [:],
                 today: CivilDate) -> ProjectResponse {
        respond(save.savedRecord, save.project, view: save.view, agent: agent, agreement: agreement, documents: documents,
                lastProgress: progress, attachments: attachments, today: today)
    }

    /// The project's status as answered to every read and write: the engine's view with the agent and the
    /// agency service's state.
    func respond(_ record: ProjectRecord, _ project: Project, view: ProjectView, agent: User?, agreement: AgencyAgreement?,
                 documents: [String: FormalDocument], lastProgress progress: ProgressUpdate?,
                 attachments: [String: [String: AttachedMaterial]] = [:], today: CivilDate) -> ProjectResponse {
        let agency = ProjectStatusMapper.Agency(agreement: agreement, lastProgress: progress, today: today)
        return ProjectResponse(status: ProjectStatusMapper.status(record, project, view, expected: context.expectedForecast(record, project, view: view), agent: agent, documents: documents,
                                                                  attachments: attachments, agency: agency),
                               etag: record.etag)
    }
}

extension APIHandler.ProjectChange {
    /// After a change wrote rows of its own, what decides the project's next due instant is read again in its
    /// transaction: the formal documents and the newest progress update.
    mutating func readAgainAfterRows(on connection: PostgresConnection, logger: Logger) async throws {
        documents = try await FormalDocumentRepository.forProject(record.id, on: connection, logger: logger)
        // What this change issued is written with it, after this read.
        for issued in issuedDocuments { documents[issued.itemID] = documents[issued.itemID]?.issued(issued.number, on: issued.on) }
        lastProgress = try await ProgressLog.latest(projectID: record.id, on: connection, logger: logger)
        attachments = try await ItemMaterialRepository.forProject(record.id, on: connection, logger: logger)
    }
}

extension Optional {
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
