import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The formal approval document a department owes after a default approval (超时默认): due within 1 working day.
public struct FormalDocument: Sendable, Hashable {
    public let itemID: String
    public let department: String
    public let defaultApprovedOn: CivilDate
    public let dueOn: CivilDate
    public let issuedOn: CivilDate?
    public let documentNumber: String?
    public let overdueOn: CivilDate?
}

public enum FormalDocumentRepository {
    public static func create(projectID: Int64, itemID: String, department: String, defaultApprovedOn: CivilDate, dueOn: CivilDate,
                              on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO formal_documents (project_id, item_id, department, default_approved_on, due_on)
            VALUES (\(projectID), \(itemID), \(department), \(defaultApprovedOn.description)::date, \(dueOn.description)::date)
            """, logger: logger)
    }

    public static func forProject(_ projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [String: FormalDocument] {
        var documents: [String: FormalDocument] = [:]
        let rows = try await connection.query("""
            SELECT item_id, department, default_approved_on::text, due_on::text, issued_on::text, document_number, overdue_on::text
            FROM formal_documents WHERE project_id = \(projectID)
            """, logger: logger)
        for try await (item, department, approvedOn, dueOn, issuedOn, number, overdueOn)
            in rows.decode((String, String, String, String, String?, String?, String?).self) {
            documents[item] = FormalDocument(itemID: item, department: department, defaultApprovedOn: CivilDate(iso: approvedOn)!,
                                             dueOn: CivilDate(iso: dueOn)!, issuedOn: issuedOn.flatMap(CivilDate.init(iso:)),
                                             documentNumber: number, overdueOn: overdueOn.flatMap(CivilDate.init(iso:)))
        }
        return documents
    }

    public static func markOverdue(projectID: Int64, itemID: String, on date: CivilDate, on connection: PostgresConnection,
                                   logger: Logger) async throws {
        try await connection.query("""
            UPDATE formal_documents SET overdue_on = \(date.description)::date
            WHERE project_id = \(projectID) AND item_id = \(itemID) AND overdue_on IS NULL
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
