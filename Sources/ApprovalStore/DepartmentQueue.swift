import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// What waits for a department's window (待办), bucket by bucket, from the item rows (Migrations/0021).
public enum DepartmentQueue {
    public enum Bucket: String, Sendable, CaseIterable {
        /// Submitted: to accept (受理) or not.
        case toAccept = "to_accept"
        /// The clock runs: to decide, the nearest deadline first.
        case toDecide = "to_decide"
        /// An extension asked for, waiting for the head's decision.
        case extensionsToDecide = "extensions_to_decide"
        /// Deemed approved: the formal document owed (within 1 working day).
        case formalDocumentsOwed = "formal_documents_owed"
        /// Accepted under 容缺: the materials promised, by their date.
        case commitmentsDue = "commitments_due"
        /// Suspended: waiting on the applicant (a supplement) or an excluded procedure.
        case waitingOnApplicant = "waiting_on_applicant"

        /// Which rows are in it, and in what order they are worked.
        var predicate: String {
            switch self {
            case .toAccept: "i.state = 'submitted'"
            case .toDecide: "i.state = 'accepted'"
            case .extensionsToDecide: "i.extension_asked"
            case .formalDocumentsOwed: "f.project_id IS NOT NULL"
            case .commitmentsDue: "i.commitment_due IS NOT NULL"
            case .waitingOnApplicant: "i.state = 'suspended'"
            }
        }

        var order: String {
            switch self {
            case .toAccept, .waitingOnApplicant: "i.state_since, p.id, i.item_id"
            case .toDecide, .extensionsToDecide: "i.deadline NULLS LAST, p.id, i.item_id"
            case .formalDocumentsOwed: "f.due_on, p.id, i.item_id"
            case .commitmentsDue: "i.commitment_due, p.id, i.item_id"
            }
        }
    }

    public struct Entry: Sendable {
        public let bucket: Bucket
        public let projectCode: String
        public let projectName: String
        public let calendarID: String
        public let workflowVersionID: Int64
        public let itemID: String
        /// The limit it is held to (an extension included).
        public let limitDays: Int
        public let department: String
        public let state: ItemState
        public let since: CivilDate
        public let deadline: CivilDate?
        /// When the formal document or the committed materials are due.
        public let dueOn: CivilDate?
    }

    /// The department's items in the region, with their formal documents still owed.
    private static func from(departments: [String]?, regionPrefix: String) -> PostgresQuery {
        """
        items i JOIN projects p ON p.id = i.project_id
        LEFT JOIN formal_documents f ON f.project_id = i.project_id AND f.item_id = i.item_id AND f.issued_on IS NULL
        WHERE (\(departments)::text[] IS NULL OR i.department = ANY(\(departments ?? [])))
          AND starts_with(p.region, \(regionPrefix))
        """
    }

    public static func counts(departments: [String]?, regionPrefix: String, on connection: PostgresConnection,
                              logger: Logger) async throws -> [Bucket: Int] {
        let sums = Bucket.allCases.map { "count(*) FILTER (WHERE \($0.predicate))::int" }.joined(separator: ", ")
        var query = PostgresQuery(unsafeSQL: "SELECT \(sums) FROM ")
        let scope = from(departments: departments, regionPrefix: regionPrefix)
        query = PostgresQuery(unsafeSQL: query.sql + scope.sql, binds: scope.binds)
        guard let row = try await connection.query(query, logger: logger).collect().first else { return [:] }
        var cells = RowCells(row)
        var counts: [Bucket: Int] = [:]
        for bucket in Bucket.allCases { counts[bucket] = try cells.next(Int.self) }
        return counts
    }

    /// One bucket's rows, in working order, `limit` of them after `offset`.
    public static func entries(_ bucket: Bucket, departments: [String]?, regionPrefix: String, limit: Int, offset: Int,
                               on connection: PostgresConnection, logger: Logger) async throws -> [Entry] {
        let scope = from(departments: departments, regionPrefix: regionPrefix)
        let sql = """
            SELECT p.code, p.name, p.calendar_id, p.workflow_version_id, i.item_id, i.limit_days, i.department, i.state, i.state_since::text,
                   i.deadline::text,
                   coalesce(f.due_on, i.commitment_due)::text
            FROM \(scope.sql) AND \(bucket.predicate)
            ORDER BY \(bucket.order) LIMIT \(limit) OFFSET \(offset)
            """
        var entries: [Entry] = []
        for row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: scope.binds), logger: logger).collect() {
            var cells = RowCells(row)
            let code = try cells.next(String.self), name = try cells.next(String.self), calendar = try cells.next(String.self)
            let version = try cells.next(Int64.self), item = try cells.next(String.self), limit = try cells.next(Int.self)
            let department = try cells.next(String.self), state = try cells.next(String.self)
            let since = try cells.next(String.self), deadline = try cells.next(String?.self), due = try cells.next(String?.self)
            guard let state = ItemState(rawValue: state), let since = CivilDate(iso: since) else { continue }
            entries.append(Entry(bucket: bucket, projectCode: code, projectName: name, calendarID: calendar, workflowVersionID: version, itemID: item,
                                 limitDays: limit, department: department,
                                 state: state, since: since, deadline: deadline.flatMap(CivilDate.init(iso:)),
                                 dueOn: due.flatMap(CivilDate.init(iso:))))
        }
        return entries
    }
}
