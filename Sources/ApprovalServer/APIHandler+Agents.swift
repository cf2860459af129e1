import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation

/// The agents' directory (the three-level network) and their workload report. Coordinators manage the agents
/// of their region; leaders read; an agent sees their own line.
extension APIHandler {
    func listAgents(_ input: Operations.ListAgents.Input) async throws -> Operations.ListAgents.Output {
        let user = try currentUser()
        let (prefix, only) = try Self.agentScope(user, region: input.query.region)
        let (level, active, logger) = (input.query.level.map { AgentLevel(rawValue: $0.rawValue)! }, input.query.active, context.logger)
        let agents = try await context.readReplica.read { connection in
            try await AgentDirectory.agents(regionPrefix: prefix, level: level, active: active, ids: only.map { [$0] }, on: connection, logger: logger)
        }
        return .ok(.init(body: .json(.init(agents: agents.map(Self.agentBody)))))
    }

    func createAgent(_ input: Operations.CreateAgent.Input) async throws -> Operations.CreateAgent.Output {
        let caller = try currentUser()
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        try Self.checkMayManageAgents(caller, region: request.region)
        let newUser = NewUser(name: request.name.trimmingCharacters(in: .whitespaces), role: .agent, region: request.region, phone: request.phone,
                              agentLevel: AgentLevel(rawValue: request.level.rawValue)!, agentCapacity: request.capacity)
        var problems = newUser.problems(departments: context.registry.catalog.departments).map { APIError.FieldProblem(field: $0.field, detail: $0.detail) }
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        let digest = try Self.requestDigest(operation: "createAgent", target: "", request: request)
        let body = try await idempotentCreation(userID: caller.id, key: input.headers.idempotencyKey, digest: digest) { connection in
            let user = try await UserRepository.create(newUser, on: connection, logger: context.logger)
            let token = try await UserRepository.issueToken(for: user.id, on: connection, logger: context.logger)
            return (Operations.CreateAgent.Output.Created.Body.JsonPayload(agent: Self.agentBody(AgentProfile(user: user, activeProjects: 0)),
                                                                            token: .init(id: token.id, token: token.token)),
                    redacted: "agent \(user.id), token \(token.id)")
        }
        return .created(.init(body: .json(body)))
    }

    func updateAgent(_ input: Operations.UpdateAgent.Input) async throws -> Operations.UpdateAgent.Output {
        let caller = try currentUser()
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let agentID = input.path.agentId
        let updated = try await database.transaction { connection in
            let find = { try await AgentDirectory.agents(regionPrefix: nil, level: nil, active: nil, ids: [agentID], on: connection, logger: context.logger).first }
            guard let agent = try await find() else { throw APIError.notFound("agent \(agentID)", field: "agentId") }
            try Self.checkMayManageAgents(caller, region: agent.user.region)
            try await AgentDirectory.update(agentID, level: request.level.map { AgentLevel(rawValue: $0.rawValue)! }, capacity: request.capacity,
                                            phone: request.phone, active: request.active, on: connection, logger: context.logger)
            // Read again in the same transaction; users are never deleted.
            guard let updated = try await find() else { throw APIError.notFound("agent \(agentID)", field: "agentId") }
            return updated
        }
        return .ok(.init(body: .json(Self.agentBody(updated))))
    }

    func agentWorkloadReport(_ input: Operations.AgentWorkloadReport.Input) async throws -> Operations.AgentWorkloadReport.Output {
        let user = try currentUser()
        let (prefix, only) = try Self.agentScope(user, region: input.query.region)
        let today = context.today
        let (level, logger) = (input.query.level.map { AgentLevel(rawValue: $0.rawValue)! }, context.logger)
        let rows = try await context.readReplica.read { connection in
            try await AgentWorkloadReport.rows(regionPrefix: prefix, level: level, agentID: only, asOf: today, on: connection, logger: logger)
        }
        return .ok(.init(body: .json(.init(asOf: today.description, agents: rows.map { row in
            .init(agent: row.agentID, name: row.name, region: row.region, level: ProjectStatusMapper.agentLevel(row.level), capacity: row.capacity,
                  activeProjects: row.activeProjects, overdueFollowUps: row.overdueFollowUps, openDifficultCases: row.openDifficultCases,
                  oldestOpenCaseDays: row.oldestOpenCaseDays, yellowProjects: row.yellowProjects, redProjects: row.redProjects,
                  averageRating: row.averageRating, ratings: row.ratings)
        }))))
    }

    /// Which agents the caller may read: a region prefix within their jurisdiction, or just themselves.
    static func agentScope(_ user: User, region: String?) throws(APIError) -> (prefix: String?, only: Int64?) {
        var prefix: String?
        if let region {
            guard let jurisdiction = Jurisdiction(region) else { throw .badRequest("'\(region)' is not \(Jurisdiction.expectedForm)", field: "region") }
            prefix = jurisdiction.prefix
        }
        switch user.role {
        case .admin:
            return (prefix, nil)
        case .coordinator, .leader:
            guard let asked = prefix else { return (user.jurisdiction.prefix, nil) }
            guard asked.hasPrefix(user.jurisdiction.prefix) else {
                throw .forbidden("region \(region ?? "") is outside your jurisdiction \(user.region)")
            }
            return (asked, nil)
        case .agent:
            return (nil, user.id)
        case .investor, .reviewer:
            throw .forbidden("the agents' directory is for coordinators, leaders and admins")
        }
    }

    static func checkMayManageAgents(_ user: User, region: String) throws(APIError) {
        switch user.role {
        case .admin: return
        case .coordinator where user.jurisdiction.covers(region): return
        case .coordinator: throw .forbidden("agent of region \(region) is outside your jurisdiction \(user.region)")
        default: throw .forbidden("agents are managed by coordinators and admins, not by a \(user.role.rawValue)")
        }
    }
}
