import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// One stretch of a project's agency: who carried it, from when, and how it ended (handover or end).
public struct AgentAssignment: Sendable, Hashable {
    public enum Ending: String, Sendable { case handover, ended }

    public let agentID: Int64
    public let agentName: String
    public let startedOn: CivilDate
    public let endedOn: CivilDate?
    public let endedBy: Ending?
    public let reason: String?
    public let handoverNote: String?
    public let handedTo: Int64?
}

/// "一个项目、一人代办": the history of a project's agents, with exactly one open assignment while it has an agent
/// (a unique partial index holds that even against racing writers).
public enum AgentAssignmentRepository {
    public static func start(projectID: Int64, agentID: Int64, on date: CivilDate, by userID: Int64,
                             on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO agent_assignments (project_id, agent_id, started_on, assigned_by)
            VALUES (\(projectID), \(agentID), \(date.description)::date, \(userID))
            """, logger: logger)
    }

    /// Closes the open assignment; `handedTo` names the successor of a handover.
    public static func close(projectID: Int64, on date: CivilDate, ending: AgentAssignment.Ending, reason: String,
                             handoverNote: String? = nil, handedTo: Int64? = nil,
                             on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE agent_assignments SET ended_on = \(date.description)::date, ended_by = \(ending.rawValue), end_reason = \(reason),
                handover_note = \(handoverNote), handed_to = \(handedTo)
            WHERE project_id = \(projectID) AND ended_on IS NULL
            """, logger: logger)
    }

    public static func history(projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [AgentAssignment] {
        let rows = try await connection.query("""
            SELECT a.agent_id, u.name, a.started_on::text, a.ended_on::text, a.ended_by, a.end_reason, a.handover_note, a.handed_to
            FROM agent_assignments a JOIN users u ON u.id = a.agent_id
            WHERE a.project_id = \(projectID) ORDER BY a.id
            """, logger: logger)
        var history: [AgentAssignment] = []
        for try await (agent, name, started, ended, endedBy, reason, note, handedTo)
            in rows.decode((Int64, String, String, String?, String?, String?, String?, Int64?).self) {
            history.append(AgentAssignment(agentID: agent, agentName: name, startedOn: CivilDate(iso: started)!,
                                           endedOn: ended.flatMap(CivilDate.init(iso:)), endedBy: endedBy.flatMap(AgentAssignment.Ending.init(rawValue:)),
                                           reason: reason, handoverNote: note, handedTo: handedTo))
        }
        return history
    }

    /// How many projects the agent carries now.
    public static func load(ofAgent agentID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("SELECT count(*)::int FROM agent_assignments WHERE agent_id = \(agentID) AND ended_on IS NULL",
                                   logger: logger).collect().first!.decode(Int.self)
    }
}
