import ApprovalCore
import Foundation
import Logging
import PostgresNIO

public enum FormalDocumentRepository {
    /// Records the documents owed after default approvals (the sweeper's batch in one statement). A late sweep
    /// may find one overdue the day it is owed: it is written overdue at once.
    public static func create(_ documents: [(projectID: Int64, document: FormalDocument)], on connection: PostgresConnection,
                              logger: Logger) async throws {
        guard !documents.isEmpty else { return }
        let owed = documents.map(\.document)
        try await connection.query("""
            INSERT INTO formal_documents (project_id, item_id, department, default_approved_on, due_on, overdue_on)
            SELECT project_id, item_id, department, approved_on::date, due_on::date, NULLIF(overdue_on, '')::date
            FROM unnest(\(documents.map(\.projectID)), \(owed.map(\.itemID)), \(owed.map(\.department)),
                        \(owed.map(\.defaultApprovedOn.description)), \(owed.map(\.dueOn.description)),
                        \(owed.map { $0.overdueOn?.description ?? "" }))
                AS document(project_id, item_id, department, approved_on, due_on, overdue_on)
            """, logger: logger)
    }

    public static func forProject(_ projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [String: FormalDocument] {
        try await forProjects([projectID], on: connection, logger: logger)[projectID] ?? [:]
    }

    /// Each project's documents by item; a project that owes none is absent.
    public static func forProjects(_ projectIDs: [Int64], on connection: PostgresConnection,
                                   logger: Logger) async throws -> [Int64: [String: FormalDocument]] {
        var documents: [Int64: [String: FormalDocument]] = [:]
        let rows = try await connection.query("""
            SELECT d.project_id, \(unescaped: byItem) FROM formal_documents d WHERE d.project_id = ANY(\(projectIDs)) GROUP BY d.project_id
            """, logger: logger)
        for try await (projectID, byItem) in rows.decode((Int64, JSONValue).self) {
            documents[projectID] = try decode(byItem)
        }
        return documents
    }

    /// A project's documents as one JSON object by item, aggregated over `formal_documents d`.
    static let byItem = """
        jsonb_object_agg(d.item_id, jsonb_build_object('department', d.department, 'approved', d.default_approved_on, 'due', d.due_on,
                                                       'issued', d.issued_on, 'number', d.document_number, 'overdue', d.overdue_on))
        """

    static func decode(_ byItem: JSONValue) throws -> [String: FormalDocument] {
        guard case let .object(items) = byItem else { return [:] }
        return try items.reduce(into: [:]) { documents, entry in
            guard case let .object(fields) = entry.value, let department = fields["department"]?.stringValue,
                  let approved = fields["approved"]?.stringValue.flatMap(CivilDate.init(iso:)),
                  let due = fields["due"]?.stringValue.flatMap(CivilDate.init(iso:)) else {
                throw StoredEventError(message: "formal document of item \(entry.key) is not as stored: \(entry.value)")
            }
            documents[entry.key] = FormalDocument(itemID: entry.key, department: department, defaultApprovedOn: approved, dueOn: due,
                                                  issuedOn: fields["issued"]?.stringValue.flatMap(CivilDate.init(iso:)),
                                                  documentNumber: fields["number"]?.stringValue,
                                                  overdueOn: fields["overdue"]?.stringValue.flatMap(CivilDate.init(iso:)))
        }
    }

    /// Marks documents overdue, each once, as of its own day (projects' calendars may keep different time zones).
    public static func markOverdue(_ documents: [(projectID: Int64, itemID: String, on: CivilDate)], on connection: PostgresConnection,
                                   logger: Logger) async throws {
        guard !documents.isEmpty else { return }
        try await connection.query("""
            UPDATE formal_documents d SET overdue_on = overdue.on_date::date
            FROM unnest(\(documents.map(\.projectID)), \(documents.map(\.itemID)), \(documents.map(\.on.description)))
                AS overdue(project_id, item_id, on_date)
            WHERE d.project_id = overdue.project_id AND d.item_id = overdue.item_id AND d.overdue_on IS NULL
            """, logger: logger)
    }
}
