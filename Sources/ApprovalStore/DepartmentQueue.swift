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

        /// Its rows (each bucket's own condition, which its partial index answers; the owed formal documents from
        /// their own table), with their project and item.
        var source: String {
            switch self {
            case .formalDocumentsOwed:
                "formal_documents f JOIN items i ON i.project_id = f.project_id AND i.item_id = f.item_id JOIN projects p ON p.id = f.project_id "
                    + "WHERE f.issued_on IS NULL AND ($1::text[] IS NULL OR f.department = ANY($1))"
            default:
                "items i JOIN projects p ON p.id = i.project_id WHERE \(predicate) AND ($1::text[] IS NULL OR i.department = ANY($1))"
            }
        }

        private var predicate: String {
            switch self {
            case .toAccept: "i.state = 'submitted'"
            case .toDecide: "i.state = 'accepted'"
            case .extensionsToDecide: "i.extension_asked"
            case .formalDocumentsOwed: "true"
            case .commitmentsDue: "i.commitment_due IS NOT NULL"
            case .waitingOnApplicant: "i.state = 'suspended'"
            }
        }

        /// The order its rows are worked in.
        var order: String {
            switch self {
            case .toAccept, .waitingOnApplicant: "i.state_since, p.id, i.item_id"
            case .toDecide, .extensionsToDecide: "i.deadline NULLS LAST, p.id, i.item_id"
            case .formalDocumentsOwed: "f.due_on, p.id, i.item_id"
            case .commitmentsDue: "i.commitment_due, p.id, i.item_id"
            }
        }

        /// The column of the day its work is due, when it has one of its own.
        var due: String {
            switch self {
            case .formalDocumentsOwed: "f.due_on"
            case .commitmentsDue: "i.commitment_due"
            default: "NULL::date"
            }
        }
    }

    public struct Entry: Sendable {
        public let bucket: Bucket
        public let projectCode: String
        public let projectName: String
        public let projectRegion: String
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
        /// While suspended: what for.
        public let waitingFor: String?
    }

    /// Every bucket's count by department, each by its own condition ($1: the departments, nil for all; $2: the
    /// region's prefix); a department with nothing waiting is absent.
    public static func counts(departments: [String]?, regionPrefix: String, on connection: PostgresConnection,
                              logger: Logger) async throws -> [String: [Bucket: Int]] {
        let counts = Bucket.allCases.map {
            "SELECT '\($0.rawValue)', i.department, count(*)::int FROM \($0.source) AND starts_with(p.region, $2) GROUP BY i.department"
        }.joined(separator: " UNION ALL ")
        let query = PostgresQuery(unsafeSQL: counts, binds: try binds(departments, regionPrefix))
        var result: [String: [Bucket: Int]] = [:]
        for try await (bucket, department, count) in try await connection.query(query, logger: logger).decode((String, String, Int).self) {
            guard let bucket = Bucket(rawValue: bucket) else { continue }
            result[department, default: [:]][bucket] = count
        }
        return result
    }

    private static func binds(_ departments: [String]?, _ regionPrefix: String, _ more: Int...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        try binds.append(departments)
        try binds.append(regionPrefix)
        for value in more { try binds.append(value) }
        return binds
    }

    /// One bucket's rows, in working order, `limit` of them after `offset`.
    public static func entries(_ bucket: Bucket, departments: [String]?, regionPrefix: String, limit: Int, offset: Int,
                               on connection: PostgresConnection, logger: Logger) async throws -> [Entry] {
        let sql = """
            SELECT p.code, p.name, p.region, p.calendar_id, p.workflow_version_id, i.item_id, i.limit_days, i.department, i.state, i.state_since::text,
                   i.deadline::text, \(bucket.due)::text, i.waiting_for
            FROM \(bucket.source) AND starts_with(p.region, $2)
            ORDER BY \(bucket.order) LIMIT $3 OFFSET $4
            """
        var entries: [Entry] = []
        let query = PostgresQuery(unsafeSQL: sql, binds: try binds(departments, regionPrefix, limit, offset))
        for row in try await connection.query(query, logger: logger).collect() {
            var cells = RowCells(row)
            let code = try cells.next(String.self), name = try cells.next(String.self), region = try cells.next(String.self)
            let calendar = try cells.next(String.self)
            let version = try cells.next(Int64.self), item = try cells.next(String.self), limit = try cells.next(Int.self)
            let department = try cells.next(String.self), state = try cells.next(String.self)
            let since = try cells.next(String.self), deadline = try cells.next(String?.self), due = try cells.next(String?.self)
            let waitingFor = try cells.next(String?.self)
            guard let state = ItemState(rawValue: state), let since = CivilDate(iso: since) else { continue }
            entries.append(Entry(bucket: bucket, projectCode: code, projectName: name, projectRegion: region, calendarID: calendar, workflowVersionID: version, itemID: item,
                                 limitDays: limit, department: department, state: state, since: since,
                                 deadline: deadline.flatMap(CivilDate.init(iso:)), dueOn: due.flatMap(CivilDate.init(iso:)), waitingFor: waitingFor))
        }
        return entries
    }
}
