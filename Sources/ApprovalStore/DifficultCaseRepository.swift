import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// A difficult case (疑难会商) on a project or one of its items.
public enum DifficultCaseRepository {
    static let columns = """
        c.id, c.item_id, c.title, c.description, c.raised_on::text, u.name, c.meeting_on::text, c.outcome, c.resolved_on::text
        """

    static func decode(_ row: PostgresRow) throws -> DifficultCase {
        let (id, item, title, description, raised, by, meeting, outcome, resolved) =
            try row.decode((Int64, String?, String, String, String, String, String?, String?, String?).self)
        return DifficultCase(id: id, itemID: item, title: title, description: description, raisedOn: CivilDate(iso: raised)!,
                             raisedBy: by, meetingOn: meeting.flatMap(CivilDate.init(iso:)), outcome: outcome,
                             resolvedOn: resolved.flatMap(CivilDate.init(iso:)))
    }

    public static func raise(projectID: Int64, itemID: String?, title: String, description: String, by userID: Int64, on date: CivilDate,
                             on connection: PostgresConnection, logger: Logger) async throws -> DifficultCase {
        let id = try await connection.query("""
            INSERT INTO difficult_cases (project_id, item_id, title, description, raised_by, raised_on)
            VALUES (\(projectID), \(itemID), \(title), \(description), \(userID), \(date.description)::date) RETURNING id
            """, logger: logger).collect().first!.decode(Int64.self)
        return try await find(id, projectID: projectID, on: connection, logger: logger)!
    }

    public static func find(_ id: Int64, projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> DifficultCase? {
        try await cases(projectID: projectID, onlyID: id, on: connection, logger: logger).first
    }

    /// Newest first.
    public static func cases(projectID: Int64, onlyID: Int64? = nil, on connection: PostgresConnection,
                             logger: Logger) async throws -> [DifficultCase] {
        try await connection.query("""
            SELECT \(unescaped: columns) FROM difficult_cases c JOIN users u ON u.id = c.raised_by
            WHERE c.project_id = \(projectID) AND (\(onlyID)::bigint IS NULL OR c.id = \(onlyID)) ORDER BY c.id DESC
            """, logger: logger).collect().map(decode)
    }

    public static func resolve(_ id: Int64, meetingOn: CivilDate, outcome: String, by userID: Int64, on date: CivilDate,
                               on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE difficult_cases SET meeting_on = \(meetingOn.description)::date, outcome = \(outcome),
                resolved_on = \(date.description)::date, resolved_by = \(userID)
            WHERE id = \(id)
            """, logger: logger)
    }
}
