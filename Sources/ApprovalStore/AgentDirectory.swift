import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// An agent with the number of projects they carry now.
public struct AgentProfile: Sendable, Hashable {
    public let user: User
    public let activeProjects: Int

    public init(user: User, activeProjects: Int) {
        self.user = user
        self.activeProjects = activeProjects
    }

    public var level: AgentLevel { user.agentLevel ?? .county }
    public var capacity: Int { user.agentCapacity ?? 0 }
    public var hasRoom: Bool { user.active && activeProjects < capacity }
}

/// The agents' directory (the three-level network) and what it is asked: who is there, who has room.
public enum AgentDirectory {
    public static func agents(regionPrefix: String?, level: AgentLevel?, active: Bool?, ids: [Int64]? = nil,
                              on connection: PostgresConnection, logger: Logger) async throws -> [AgentProfile] {
        let rows = try await connection.query("""
            SELECT \(unescaped: UserRepository.columns),
                   (SELECT count(*)::int FROM agent_assignments a WHERE a.agent_id = users.id AND a.ended_on IS NULL)
            FROM users
            WHERE role = 'agent'
              AND (\(regionPrefix)::text IS NULL OR starts_with(region, \(regionPrefix)))
              AND (\(level?.rawValue)::text IS NULL OR agent_level = \(level?.rawValue))
              AND (\(active)::boolean IS NULL OR active = \(active))
              AND (\(ids)::bigint[] IS NULL OR id = ANY(\(ids ?? [])))
            ORDER BY region, id
            """, logger: logger).collect()
        return try rows.map { row in
            // The load follows the user's columns.
            let load = try row.makeRandomAccess()[row.count - 1].decode(Int.self, context: .default)
            return AgentProfile(user: try UserRepository.decodeUser(row), activeProjects: load)
        }
    }

    public static func update(_ agentID: Int64, level: AgentLevel?, capacity: Int?, phone: String?, active: Bool?,
                              on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE users SET agent_level = coalesce(\(level?.rawValue), agent_level), agent_capacity = coalesce(\(capacity), agent_capacity),
                phone = coalesce(\(phone), phone), active = coalesce(\(active), active)
            WHERE id = \(agentID) AND role = 'agent'
            """, logger: logger)
    }

    /// The proposal for a project in `region`: active agents with room in the region itself, else in the nearest
    /// region above it; the lowest load among them (then the lowest id, so the answer is stable). Nil when no
    /// agent anywhere up the chain has room.
    public static func suggestion(forRegion region: String, on connection: PostgresConnection,
                                  logger: Logger) async throws -> (agent: AgentProfile, reason: String)? {
        guard let jurisdiction = Jurisdiction(region) else { return nil }
        for (step, candidateRegion) in ([region] + jurisdiction.ancestors).enumerated() {
            // A full 6-digit code as the prefix matches that region exactly.
            let agents = try await agents(regionPrefix: candidateRegion, level: nil, active: true, on: connection, logger: logger)
                .filter(\.hasRoom)
            guard let best = agents.min(by: { ($0.activeProjects, $0.user.id) < ($1.activeProjects, $1.user.id) }) else { continue }
            let place = step == 0 ? "in the project's own region \(region)"
                : "in \(candidateRegion), the nearest region above \(region) with an agent who has room"
            let reason = "\(best.user.name) (\(best.level.rawValue) level) is \(place) and carries \(best.activeProjects) of "
                + "\(best.capacity) projects, the lowest load of the \(agents.count) active agent\(agents.count == 1 ? "" : "s") with room there"
            return (best, reason)
        }
        return nil
    }
}
