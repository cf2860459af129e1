import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import PostgresNIO

extension APIHandler {
    static func userBody(_ user: User) -> Components.Schemas.User {
        .init(id: user.id, name: user.name, role: .init(rawValue: user.role.rawValue)!, region: user.region,
              department: user.department, organisation: user.organisation, phone: user.phone, active: user.active,
              departmentHead: user.role == .reviewer ? user.departmentHead : nil)
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        .ok(.init(body: .json(Self.userBody(try currentUser()))))
    }

    func listWorkflows(_ input: Operations.ListWorkflows.Input) async throws -> Operations.ListWorkflows.Output {
        _ = try currentUser()
        let workflows = context.registry.current.sorted { $0.key < $1.key }.map { workflowID, versionID in
            let workflow = context.registry.versions[versionID]!
            return Components.Schemas.Workflow(
                id: workflow.id, version: workflow.version, digest: context.registry.digests[versionID] ?? "", name: workflow.name,
                totalLimit: workflow.totalLimit,
                attributes: workflow.attributes.map(Self.attribute))
        }
        return .ok(.init(body: .json(.init(workflows: workflows))))
    }

    /// The whole definition of a workflow, of the version a project runs or the current one.
    func getWorkflow(_ input: Operations.GetWorkflow.Input) async throws -> Operations.GetWorkflow.Output {
        _ = try currentUser()
        let workflowID = input.path.workflowId
        let versions = context.registry.versions.filter { $0.value.id == workflowID }
        guard !versions.isEmpty else {
            throw APIError.notFound("workflow '\(workflowID)'; the workflows are: \(context.registry.current.keys.sorted().joined(separator: ", "))",
                                    field: "workflowId")
        }
        let current = context.registry.current[workflowID].flatMap { context.registry.versions[$0]?.version }
        let wanted = input.query.version ?? current ?? versions.values.map(\.version).max() ?? 0
        guard let (versionID, workflow) = versions.first(where: { $0.value.version == wanted }) else {
            throw APIError.notFound("version \(wanted) of workflow '\(workflowID)'; it has versions \(versions.values.map(\.version).sorted().map(String.init).joined(separator: ", "))",
                                    field: "version")
        }
        return .ok(.init(body: .json(.init(
            id: workflow.id, version: workflow.version, digest: context.registry.digests[versionID] ?? "", name: workflow.name,
            calendar: workflow.calendarID, totalLimit: workflow.totalLimit, attributes: workflow.attributes.map(Self.attribute),
            phases: workflow.phases.map { .init(id: $0.id, name: $0.name, stages: $0.stages, limit: $0.limit) },
            stages: workflow.stages.map { stage in
                .init(id: stage.id, name: stage.name, lead: stage.leadDepartment, limit: stage.limit, items: stage.items.map(Self.item))
            }))))
    }

    func listDepartments(_ input: Operations.ListDepartments.Input) async throws -> Operations.ListDepartments.Output {
        _ = try currentUser()
        var windows: [String: [User]]?
        if let region = input.query.region {
            guard Jurisdiction(region) != nil else { throw APIError.badRequest("'\(region)' is not \(Jurisdiction.expectedForm)", field: "region") }
            let found = try await database.read { try await UserRepository.windows(serving: region, on: $0, logger: context.logger) }
            windows = Dictionary(grouping: found) { $0.department ?? "" }
        }
        let departments = context.registry.catalog.departments.values.sorted { $0.id < $1.id }.map { department in
            let kind: Components.Schemas.Department.KindPayload = switch department.kind {
            case .government: .government
            case .utility: .utility
            }
            return Components.Schemas.Department(id: department.id, name: department.name, shortName: department.shortName, kind: kind,
                                                 windows: windows.map { ($0[department.id] ?? []).prefix(3).map { .init(name: $0.name, region: $0.region, phone: $0.phone ?? "") } })
        }
        return .ok(.init(body: .json(.init(departments: departments))))
    }

    private static func attribute(_ attribute: AttributeDeclaration) -> Components.Schemas.WorkflowAttribute {
        var choices: [String]?
        let type: Components.Schemas.WorkflowAttribute._TypePayload
        switch attribute.kind {
        case .boolean: type = .boolean
        case .integer: type = .integer
        case .number: type = .number
        case .text: type = .text
        case let .choice(options):
            type = .choice
            choices = options
        }
        return .init(id: attribute.id, name: attribute.name, _type: type, required: attribute.required, choices: choices)
    }

    private static func item(_ item: ItemDefinition) -> Components.Schemas.WorkflowItem {
        .init(id: item.id, name: item.name, department: item.department, limit: item.limit, dependsOn: item.dependsOn,
              condition: item.condition?.description, exemptWhen: item.exemptWhen?.description, exemptionSource: item.exemptionSource,
              onTimeout: item.onTimeout == .defaultApprove ? .defaultApprove : .escalate, deficiencyAcceptance: item.allowsDeficiencyAcceptance,
              requires: item.requirements.map { .init(id: $0.id, name: $0.name, core: $0.core, kind: $0.kind) }, produces: item.produces,
              extensionDays: item.extensionDays)
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let caller = try currentUser()
        try Access.checkAdmin(caller, "creating users")
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let newUser = NewUser(name: request.name.trimmingCharacters(in: .whitespaces), role: Role(rawValue: request.role.rawValue)!,
                              region: request.region, department: request.department, organisation: request.organisation,
                              phone: request.phone, departmentHead: request.departmentHead ?? false)
        let problems = newUser.problems(departments: context.registry.catalog.departments)
        guard problems.isEmpty else { throw APIError.invalid(problems.map { .init(field: $0.field, detail: $0.detail) }) }
        let digest = try Self.requestDigest(operation: "createUser", target: "", request: request)
        let body = try await idempotentCreation(userID: caller.id, key: input.headers.idempotencyKey, digest: digest) { connection in
            let user = try await UserRepository.create(newUser, on: connection, logger: context.logger)
            let token = try await UserRepository.issueToken(for: user.id, on: connection, logger: context.logger)
            return (Components.Schemas.UserWithToken(user: Self.userBody(user), token: .init(id: token.id, token: token.token)),
                    redacted: "user \(user.id), token \(token.id)")
        }
        return .created(.init(body: .json(body)))
    }

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        let caller = try currentUser()
        var role = input.query.role.map { Role(rawValue: $0.rawValue)! }
        var prefix: String?
        switch caller.role {
        case .admin: break
        case .coordinator:
            // Coordinators pick agents for their region's projects.
            if let role, role != .agent { throw APIError.forbidden("coordinators list agents only") }
            role = .agent
            prefix = caller.jurisdiction.prefix
        default:
            throw APIError.forbidden("listing users is for admins (and coordinators, for agents)")
        }
        let users = try await database.read { connection in
            try await UserRepository.list(role: role, regionPrefix: prefix, on: connection, logger: context.logger)
        }
        return .ok(.init(body: .json(.init(users: users.map(Self.userBody)))))
    }

    func issueToken(_ input: Operations.IssueToken.Input) async throws -> Operations.IssueToken.Output {
        let caller = try currentUser()
        try Access.checkAdmin(caller, "issuing tokens")
        let userID = input.path.userId
        var expiresAt: Date?
        if case let .json(request)? = input.body { expiresAt = request.expiresAt }
        if let expiresAt {
            // Real time, as the database judges expiry by its own clock (a virtual clock only moves deadlines).
            let now = Date()
            guard expiresAt > now, expiresAt < now.addingTimeInterval(10 * 366 * 86_400) else {
                throw APIError.invalid(field: "expiresAt", "must be in the future and at most ten years ahead")
            }
        }
        let digest = try Self.requestDigest(operation: "issueToken", target: String(userID),
                                            request: ["expiresAt": expiresAt.map { String($0.timeIntervalSince1970) } ?? ""])
        let body = try await idempotentCreation(userID: caller.id, key: input.headers.idempotencyKey, digest: digest) { connection in
            // Only active users get tokens: an inactive one (the deadline engine's own account among them) could
            // never use it.
            guard let user = try await UserRepository.find(userID, on: connection, logger: context.logger), user.active else {
                throw APIError.notFound("active user \(userID)", field: "userId")
            }
            let token = try await UserRepository.issueToken(for: user.id, expiresAt: expiresAt, on: connection, logger: context.logger)
            return (Components.Schemas.IssuedToken(id: token.id, token: token.token, expiresAt: expiresAt),
                    redacted: "token \(token.id) of user \(user.id)")
        }
        return .created(.init(body: .json(body)))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        let caller = try currentUser()
        let tokenID = input.path.tokenId
        try await database.transaction { connection in
            guard let owner = try await UserRepository.tokenOwner(tokenID, on: connection, logger: context.logger),
                  caller.role == .admin || owner == caller.id else {
                throw APIError.notFound("token \(tokenID)", field: "tokenId")
            }
            try await UserRepository.revokeToken(tokenID, on: connection, logger: context.logger)
        }
        return .noContent(.init())
    }

    /// A creation that returns a token, which exists only in this one response: the idempotency record keeps
    /// what was created without the secret, and a retry with the same key is told what was created (409)
    /// rather than shown the secret again or creating a second one.
    func idempotentCreation<Body: Codable & Sendable>(userID: Int64, key: String?, digest: Data,
                                                              _ create: (PostgresConnection) async throws -> (Body, redacted: String)) async throws -> Body {
        try await database.transaction { connection in
            if let key, case let .replay(stored) = try await Idempotency.claim(userID: userID, key: key, requestDigest: digest,
                                                                               on: connection, logger: context.logger) {
                throw APIError.conflict("the first request with this Idempotency-Key already succeeded (\(stored.body)); its token is shown only once, so issue a new token if it was lost",
                                        type: "/problems/already-created")
            }
            let (body, redacted) = try await create(connection)
            if let key {
                try await Idempotency.record(userID: userID, key: key, response: .init(status: 201, body: redacted),
                                             on: connection, logger: context.logger)
            }
            return body
        }
    }
}
