import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// The agents' progress logs. Only the newest update of a project counts for follow-up: a newer one replaces
/// its next step.
public enum ProgressLog {
    static let columns = """
        p.id, p.project_id, p.kind, p.text, p.item_id, p.next_step_on::text, p.on_date::text, u.name, p.follow_up_overdue_on::text
        """

    static let columnCount = columns.split(separator: ",").count

    static func decode(_ row: PostgresRow) throws -> ProgressUpdate {
        var cells = RowCells(row)
        return try decode(&cells)
    }

    static func decode(_ cells: inout RowCells) throws -> ProgressUpdate {
        let id = try cells.next(Int64.self), projectID = try cells.next(Int64.self), kind = try cells.next(String.self)
        let text = try cells.next(String.self), item = try cells.next(String?.self), next = try cells.next(String?.self)
        let on = try cells.next(String.self), author = try cells.next(String.self), overdue = try cells.next(String?.self)
        return ProgressUpdate(id: id, projectID: projectID, kind: ProgressUpdate.Kind(rawValue: kind)!, text: text, itemID: item,
                              nextStepOn: next.flatMap(CivilDate.init(iso:)), on: CivilDate(iso: on)!, authorName: author,
                              followUpOverdueOn: overdue.flatMap(CivilDate.init(iso:)))
    }

    public static func log(projectID: Int64, authorID: Int64, kind: ProgressUpdate.Kind, text: String, itemID: String?,
                           nextStepOn: CivilDate?, at: Date, on date: CivilDate,
                           on connection: PostgresConnection, logger: Logger) async throws -> ProgressUpdate {
        let id = try await connection.query("""
            INSERT INTO progress_updates (project_id, author_id, kind, text, item_id, next_step_on, at, on_date)
            VALUES (\(projectID), \(authorID), \(kind.rawValue), \(text), \(itemID), \(nextStepOn?.description)::date, \(at),
                    \(date.description)::date)
            RETURNING id
            """, logger: logger).collect().first!.decode(Int64.self)
        return try await updates(projectID: projectID, onlyID: id, on: connection, logger: logger).first!
    }

    /// Newest first.
    public static func updates(projectID: Int64, onlyID: Int64? = nil, limit: Int = 200, on connection: PostgresConnection,
                               logger: Logger) async throws -> [ProgressUpdate] {
        try await connection.query("""
            SELECT \(unescaped: columns) FROM progress_updates p JOIN users u ON u.id = p.author_id
            WHERE p.project_id = \(projectID) AND (\(onlyID)::bigint IS NULL OR p.id = \(onlyID))
            ORDER BY p.id DESC LIMIT \(limit)
            """, logger: logger).collect().map(decode)
    }

    public static func latest(projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> ProgressUpdate? {
        try await latest(projectIDs: [projectID], on: connection, logger: logger)[projectID]
    }

    /// Each project's newest update; a project with none is absent.
    public static func latest(projectIDs: [Int64], on connection: PostgresConnection, logger: Logger) async throws -> [Int64: ProgressUpdate] {
        let rows = try await connection.query("""
            SELECT DISTINCT ON (p.project_id) \(unescaped: columns)
            FROM progress_updates p JOIN users u ON u.id = p.author_id
            WHERE p.project_id = ANY(\(projectIDs))
            ORDER BY p.project_id, p.id DESC
            """, logger: logger).collect()
        return try Dictionary(rows.map(decode).map { ($0.projectID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Marks updates' follow-ups overdue, each as of its own day.
    public static func markFollowUpOverdue(_ updates: [(id: Int64, on: CivilDate)], on connection: PostgresConnection,
                                           logger: Logger) async throws {
        guard !updates.isEmpty else { return }
        try await connection.query("""
            UPDATE progress_updates p SET follow_up_overdue_on = overdue.on_date::date
            FROM unnest(\(updates.map(\.id)), \(updates.map(\.on.description))) AS overdue(id, on_date)
            WHERE p.id = overdue.id
            """, logger: logger)
    }
}
