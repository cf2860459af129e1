import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// A project as its status answer and a change of it need it, read in one statement without a lock: its row
/// (with the snapshot of its items), its agent, its newest agency agreement and progress update, its formal
/// documents, and what the caller's `Idempotency-Key` already answered. A change is then written by
/// `ProjectWrite` only if the project's version is still the one read here.
public struct LoadedProject: Sendable {
    public let record: ProjectRecord
    public let agent: User?
    public let agreement: AgencyAgreement?
    public let lastProgress: ProgressUpdate?
    public let documents: [String: FormalDocument]
    /// The library materials the items' applications carry: item → requirement → attachment.
    public let attachments: [String: [String: AttachedMaterial]]
    /// The request digest and answer stored under the caller's key, when it was used before.
    public let stored: (requestDigest: Data, response: Idempotency.StoredResponse?)?

    /// Nil when no project has the code.
    public static func read(code: String, userID: Int64, idempotencyKey: String?, on connection: PostgresConnection,
                            logger: Logger) async throws -> LoadedProject? {
        let statement = Statement(code: code, userID: userID, idempotencyKey: idempotencyKey)
        let row = try await connection.execute(statement, logger: logger).first { _ in true }
        guard let row else { return nil }
        var cells = RowCells(row)
        let record = try ProjectRepository.decode(&cells)
        let agent = try cells.optional(UserRepository.columnCount) { try UserRepository.decodeUser(&$0) }
        let agreement = try cells.optional(AgencyAgreementRepository.columnCount) { try AgencyAgreementRepository.decode(&$0) }
        let lastProgress = try cells.optional(ProgressLog.columnCount) { try ProgressLog.decode(&$0) }
        let documents = try cells.next(JSONValue?.self).map(FormalDocumentRepository.decode) ?? [:]
        let attachments = try cells.next(JSONValue?.self).map(ItemMaterialRepository.decode) ?? [:]
        let digest = try cells.next(Data?.self), status = try cells.next(Int?.self), body = try cells.next(String?.self)
        return LoadedProject(record: record, agent: agent, agreement: agreement, lastProgress: lastProgress, documents: documents,
                             attachments: attachments, stored: digest.map { ($0, status.flatMap { status in body.map { .init(status: status, body: $0) } }) })
    }
}

extension LoadedProject {
    /// Every change and every computed status read runs this, so it is prepared once per connection: planning it
    /// anew cost PostgreSQL more than running it (BENCHMARKS.md).
    struct Statement: PostgresPreparedStatement {
        static let sql = """
            SELECT pr.*, a.*, g.*, pg.*,
                   (SELECT \(FormalDocumentRepository.byItem) FROM formal_documents d WHERE d.project_id = pr.id),
                   (SELECT \(ItemMaterialRepository.byItem) FROM \(ItemMaterialRepository.joins) WHERE im.project_id = pr.id),
                   k.request_digest, k.response_status, k.response_body
            FROM (SELECT \(ProjectRepository.columns) FROM projects WHERE code = $1::text) pr
            LEFT JOIN LATERAL (SELECT \(UserRepository.columns) FROM users WHERE id = pr.agent_id) a ON true
            LEFT JOIN LATERAL (SELECT \(AgencyAgreementRepository.columns) FROM agency_agreements
                               WHERE project_id = pr.id ORDER BY id DESC LIMIT 1) g ON true
            LEFT JOIN LATERAL (SELECT \(ProgressLog.columns) FROM progress_updates p JOIN users u ON u.id = p.author_id
                               WHERE p.project_id = pr.id ORDER BY p.id DESC LIMIT 1) pg ON true
            LEFT JOIN idempotency_keys k ON k.user_id = $2::int8 AND k.key = $3::text
            """
        let code: String
        let userID: Int64
        let idempotencyKey: String?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(code)
            bindings.append(userID)
            bindings.append(idempotencyKey)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }
}

extension RowCells {
    /// What `decode` reads from the next `count` cells, or nil when a LEFT JOIN left them NULL.
    mutating func optional<Value>(_ count: Int, _ decode: (inout RowCells) throws -> Value) throws -> Value? {
        guard !nextIsNull else {
            skip(count)
            return nil
        }
        return try decode(&self)
    }
}
