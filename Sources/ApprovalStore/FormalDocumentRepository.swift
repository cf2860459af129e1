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
            SELECT project_id, item_id, department, default_approved_on::text, due_on::text, issued_on::text, document_number,
                   overdue_on::text
            FROM formal_documents WHERE project_id = ANY(\(projectIDs))
            """, logger: logger)
        for try await (projectID, item, department, approvedOn, dueOn, issuedOn, number, overdueOn)
            in rows.decode((Int64, String, String, String, String, String?, String?, String?).self) {
            documents[projectID, default: [:]][item] = FormalDocument(
                itemID: item, department: department, defaultApprovedOn: CivilDate(iso: approvedOn)!, dueOn: CivilDate(iso: dueOn)!,
                issuedOn: issuedOn.flatMap(CivilDate.init(iso:)), documentNumber: number, overdueOn: overdueOn.flatMap(CivilDate.init(iso:)))
        }
        return documents
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

    public static func recordIssued(projectID: Int64, itemID: String, number: String, on date: CivilDate,
                                    on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE formal_documents SET issued_on = \(date.description)::date, document_number = \(number)
            WHERE project_id = \(projectID) AND item_id = \(itemID) AND issued_on IS NULL
            """, logger: logger)
    }
}
