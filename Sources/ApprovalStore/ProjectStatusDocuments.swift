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

    public static func find(code: String, on connection: PostgresConnection, logger: Logger) async throws -> Stored? {
        let rows = try await connection.query("""
            SELECT p.version, d.version, d.as_of::text, p.workflow_version_id, p.region, p.investor_org, p.agent_id, d.departments, d.body
            FROM projects p JOIN project_status_documents d ON d.project_id = p.id
            WHERE p.code = \(code)
            """, logger: logger).collect()
        return try rows.first.map { row in
            let (projectVersion, documentVersion, asOf, workflow, region, organisation, agent, departments, body) =
                try row.decode((Int, Int, String, Int64, String, String, Int64?, [String], ByteBuffer).self)
            return Stored(projectVersion: projectVersion, documentVersion: documentVersion, asOf: CivilDate(iso: asOf)!,
                          workflowVersionID: workflow, region: region, investorOrganisation: organisation, agentID: agent,
                          departments: departments, body: body)
        }
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
