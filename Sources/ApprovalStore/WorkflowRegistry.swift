import ApprovalCore
import Crypto
import Foundation
import Logging
import PostgresNIO

/// Every workflow version projects run on: the current ones from `Workflows/`, recorded in the database with
/// their text and digest when loaded, and the earlier ones re-read from the database.
public struct WorkflowRegistry: Sendable {
    public let catalog: DefinitionCatalog
    /// Stored version id → definition.
    public let versions: [Int64: WorkflowDefinition]
    /// Workflow id → the stored version id of its current definition.
    public let current: [String: Int64]
    public let digests: [Int64: String]

    public func currentVersion(of workflowID: String) -> (id: Int64, definition: WorkflowDefinition)? {
        current[workflowID].flatMap { id in versions[id].map { (id, $0) } }
    }

    public func calendar(for workflow: WorkflowDefinition) -> WorkdayCalendar {
        // Validation guarantees every workflow names a loaded calendar.
        catalog.calendars[workflow.calendarID]!
    }

    /// Records the catalog's workflows (a new version once per digest) and loads every stored version.
    /// A changed file that kept its version number is refused: projects on that version would change under
    /// their feet.
    public static func register(_ catalog: DefinitionCatalog, in database: Database) async throws -> WorkflowRegistry {
        try await database.transaction { connection in
            // Replicas starting together register the same files once.
            try await connection.query("LOCK TABLE workflow_versions IN SHARE ROW EXCLUSIVE MODE", logger: database.logger)
            var current: [String: Int64] = [:]
            for workflow in catalog.workflows.values.sorted(by: { $0.id < $1.id }) {
                let source = catalog.source(ofWorkflow: workflow.id)!
                let digest = SHA256.hash(data: Data(source.text.utf8)).hexString
                let existing = try await connection.query("""
                    SELECT id, digest FROM workflow_versions WHERE workflow_id = \(workflow.id) AND version = \(workflow.version)
                    """, logger: database.logger).collect().first?.decode((Int64, String).self)
                if let (id, storedDigest) = existing {
                    guard storedDigest == digest else {
                        throw WorkflowRegistryError(message: "\(source.path): workflow '\(workflow.id)' version \(workflow.version) differs from the version \(workflow.version) already in use (digest \(storedDigest.prefix(12))…); raise `version` so running projects keep the old definition")
                    }
                    current[workflow.id] = id
                } else {
                    let id = try await connection.query("""
                        INSERT INTO workflow_versions (workflow_id, version, digest, source)
                        VALUES (\(workflow.id), \(workflow.version), \(digest), \(source.text)) RETURNING id
                        """, logger: database.logger).collect().first!.decode(Int64.self)
                    database.logger.info("recorded workflow \(workflow.id) version \(workflow.version) (\(digest.prefix(12))…)")
                    current[workflow.id] = id
                }
            }
            var versions: [Int64: WorkflowDefinition] = [:]
            var digests: [Int64: String] = [:]
            let rows = try await connection.query("SELECT id, workflow_id, version, digest, source FROM workflow_versions", logger: database.logger)
            for try await (id, workflowID, version, digest, text) in rows.decode((Int64, String, Int, String, String).self) {
                digests[id] = digest
                if let workflow = catalog.workflows[workflowID], current[workflowID] == id {
                    versions[id] = workflow
                    continue
                }
                do {
                    versions[id] = try catalog.loadEarlierVersion(DefinitionSource(path: "stored \(workflowID) version \(version).yaml", text: text))
                } catch {
                    throw WorkflowRegistryError(message: "stored workflow '\(workflowID)' version \(version) no longer loads against the current departments and calendars:\n\(error)")
                }
            }
            for calendar in catalog.calendars.values {
                try await writeWorkdays(calendar, on: connection, logger: database.logger)
            }
            return WorkflowRegistry(catalog: catalog, versions: versions, current: current, digests: digests)
        }
    }

    /// The calendar as a workday table for set-based reports: every date from a year before its coverage to
    /// three years after, with the engine's own ordinal, so SQL counts working days exactly as the engine does.
    static func writeWorkdays(_ calendar: WorkdayCalendar, on connection: PostgresConnection, logger: Logger) async throws {
        let first = calendar.coverage.lowerBound.adding(days: -366)
        let days = (0...(calendar.coverage.upperBound.adding(days: 3 * 366) - first)).map { first.adding(days: $0) }
        try await connection.query("DELETE FROM workdays WHERE calendar_id = \(calendar.id)", logger: logger)
        try await connection.query("""
            INSERT INTO workdays (calendar_id, day, ordinal, working)
            SELECT \(calendar.id), day::date, ordinal, working
            FROM unnest(\(days.map(\.description)), \(days.map(calendar.ordinal)), \(days.map(calendar.isWorkingDay))) AS w(day, ordinal, working)
            """, logger: logger)
    }
}

public struct WorkflowRegistryError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
