import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The stored status answers (Migrations/0013): what a status read sends when nothing has changed since.
public enum ProjectStatusDocuments {
    /// A stored answer with the facts that decide whether it may be sent, and to whom.
    public struct Stored: Sendable {
        public let projectVersion: Int
        public let documentVersion: Int
        public let asOf: CivilDate
        public let workflowVersionID: Int64
        public let region: String
        public let investorOrganisation: String
        public let agentID: Int64?
        public let departments: [String]
        public let body: ByteBuffer
    }

    /// The columns of a stored answer with its project's facts, for a lookup joining `projects p` and
    /// `project_status_documents d` (`UserRepository.authenticate` fetches them with the caller).
    static let columns = "p.version, d.version, d.as_of::text, p.workflow_version_id, p.region, p.investor_org, p.agent_id, d.departments, d.body"
    static let columnCount = columns.split(separator: ",").count

    /// The stored answer in `columns` from cell `first` on; nil when they are NULL (no answer stored).
    static func decode(_ cells: PostgresRandomAccessRow, from first: Int) throws -> Stored? {
        func cell<Value: PostgresDecodable>(_ offset: Int, _ type: Value.Type) throws -> Value {
            try cells[first + offset].decode(Value.self, context: .default)
        }
        guard let projectVersion = try cell(0, Int?.self) else { return nil }
        return Stored(projectVersion: projectVersion, documentVersion: try cell(1, Int.self), asOf: CivilDate(iso: try cell(2, String.self))!,
                      workflowVersionID: try cell(3, Int64.self), region: try cell(4, String.self),
                      investorOrganisation: try cell(5, String.self), agentID: try cell(6, Int64?.self),
                      departments: try cell(7, [String].self), body: try cell(8, ByteBuffer.self))
    }

    /// Keeps the answer unless one for a later version or day is already there (two readers may race).
    public static func store(projectID: Int64, version: Int, asOf: CivilDate, departments: [String], body: Data,
                             on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO project_status_documents (project_id, version, as_of, departments, body)
            VALUES (\(projectID), \(version), \(asOf.description)::date, \(departments), \(ByteBuffer(bytes: body)))
            ON CONFLICT (project_id) DO UPDATE SET version = excluded.version, as_of = excluded.as_of,
                departments = excluded.departments, body = excluded.body
            WHERE (project_status_documents.version, project_status_documents.as_of) < (excluded.version, excluded.as_of)
            """, logger: logger)
    }
}
