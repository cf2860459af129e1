import ApprovalCore
import Foundation
import Logging
import PostgresNIO

public enum AgencyAgreementRepository {
    static let columns = "id, state, scope, starts_on::text, valid_until::text, renewals, ended_on::text, end_reason, on_paper"

    static let columnCount = columns.split(separator: ",").count

    static func decode(_ row: PostgresRow) throws -> AgencyAgreement {
        var cells = RowCells(row)
        return try decode(&cells)
    }

    static func decode(_ cells: inout RowCells) throws -> AgencyAgreement {
        let id = try cells.next(Int64.self), state = try cells.next(String.self), scope = try cells.next([String].self)
        let starts = try cells.next(String.self), until = try cells.next(String?.self), renewals = try cells.next(Int.self)
        let ended = try cells.next(String?.self), reason = try cells.next(String?.self), onPaper = try cells.next(Bool.self)
        return AgencyAgreement(id: id, state: AgencyAgreement.State(rawValue: state)!, scope: scope, startsOn: CivilDate(iso: starts)!,
                               validUntil: until.flatMap(CivilDate.init(iso:)), renewals: renewals,
                               endedOn: ended.flatMap(CivilDate.init(iso:)), endReason: reason, onPaper: onPaper)
    }

    /// The project's agreements, oldest first (the active one, if any, is the last).
    public static func all(projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [AgencyAgreement] {
        try await connection.query("SELECT \(unescaped: columns) FROM agency_agreements WHERE project_id = \(projectID) ORDER BY id",
                                   logger: logger).collect().map(decode)
    }

    public static func current(projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> AgencyAgreement? {
        try await connection.query("""
            SELECT \(unescaped: columns) FROM agency_agreements WHERE project_id = \(projectID) AND state = 'active'
            """, logger: logger).collect().first.map(decode)
    }

    public static func authorise(projectID: Int64, scope: [String], startsOn: CivilDate, validUntil: CivilDate?, by userID: Int64,
                                 onPaper: Bool, on connection: PostgresConnection, logger: Logger) async throws -> AgencyAgreement {
        try await connection.query("""
            INSERT INTO agency_agreements (project_id, scope, starts_on, valid_until, authorised_by, on_paper)
            VALUES (\(projectID), \(scope), \(startsOn.description)::date, \(validUntil?.description)::date, \(userID), \(onPaper))
            RETURNING \(unescaped: columns)
            """, logger: logger).collect().map(decode).first!
    }

    /// Writes a changed agreement (renewed, terminated or completed).
    public static func save(_ agreement: AgencyAgreement, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE agency_agreements SET state = \(agreement.state.rawValue), scope = \(agreement.scope),
                valid_until = \(agreement.validUntil?.description)::date, renewals = \(agreement.renewals),
                ended_on = \(agreement.endedOn?.description)::date, end_reason = \(agreement.endReason)
            WHERE id = \(agreement.id)
            """, logger: logger)
    }
}
