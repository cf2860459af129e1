import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import PostgresNIO

/// "一个项目、一人代办": the project's agent — assignment, handover, end, history and a suggestion — and the
/// investor's agency agreement (委托, 续办, 终止, 办结).
extension APIHandler {
    func assignAgent(_ input: Operations.AssignAgent.Input) async throws -> Operations.AssignAgent.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let response = try await writeProject(code: input.path.code, operation: "assignAgent", request: request,
                                              ifMatch: input.headers.ifMatch, idempotencyKey: input.headers.idempotencyKey) { record, _, today, user, connection in
            try Access.checkMayAssignAgents(user)
            let candidate = try await self.candidate(request.agentId, on: connection)
            do throws(ProjectAgent.Refusal) {
                try ProjectAgent.checkAssign(current: record.agentID, candidate: candidate?.0, requested: request.agentId, projectRegion: record.region)
            } catch {
                throw APIError.refused(error)
            }
            guard let agent = candidate?.1 else { throw APIError.invalid(field: "agentId", "user \(request.agentId) is not an agent") }
            record.agentID = agent.id
            try await AgentAssignmentRepository.start(projectID: record.id, agentID: agent.id, on: today, by: user.id,
                                                      on: connection, logger: context.logger)
            return [NewEvent(.agentAssigned(agent: agent.id, agentName: agent.name), actorID: user.id, at: context.clock.now(), on: today)]
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    func handOverAgency(_ input: Operations.HandOverAgency.Input) async throws -> Operations.HandOverAgency.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        let note = request.handoverNote.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [APIError.FieldProblem] = []
        if reason.isEmpty { problems.append(.init(field: "reason", detail: "say why the project changes hands")) }
        if note.isEmpty { problems.append(.init(field: "handoverNote", detail: "the new agent needs a handover note (交接说明)")) }
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        let response = try await writeProject(code: input.path.code, operation: "handOverAgency", request: request,
                                              ifMatch: input.headers.ifMatch, idempotencyKey: input.headers.idempotencyKey) { record, _, today, user, connection in
            try Access.checkMayAssignAgents(user)
            let candidate = try await self.candidate(request.agentId, on: connection)
            let former: Int64
            do throws(ProjectAgent.Refusal) {
                former = try ProjectAgent.checkHandOver(current: record.agentID, candidate: candidate?.0, requested: request.agentId,
                                                           projectRegion: record.region)
            } catch {
                throw APIError.refused(error)
            }
            guard let successor = candidate?.1 else { throw APIError.invalid(field: "agentId", "user \(request.agentId) is not an agent") }
            let formerName = try await UserRepository.find(former, on: connection, logger: context.logger)?.name ?? String(former)
            try await AgentAssignmentRepository.close(projectID: record.id, on: today, ending: .handover, reason: reason, handoverNote: note,
                                                      handedTo: successor.id, on: connection, logger: context.logger)
            try await AgentAssignmentRepository.start(projectID: record.id, agentID: successor.id, on: today, by: user.id,
                                                      on: connection, logger: context.logger)
            record.agentID = successor.id
            return [NewEvent(.agentHandedOver(from: former, fromName: formerName, agent: successor.id, agentName: successor.name,
                                              reason: reason, handoverNote: note),
                             actorID: user.id, at: context.clock.now(), on: today)]
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    func endAgency(_ input: Operations.EndAgency.Input) async throws -> Operations.EndAgency.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let reason = try Self.stated(request.reason, field: "reason", "say why the agency ends")
        let response = try await writeProject(code: input.path.code, operation: "endAgency", request: request,
                                              ifMatch: input.headers.ifMatch, idempotencyKey: input.headers.idempotencyKey) { record, _, today, user, connection in
            try Access.checkMayAssignAgents(user)
            guard let former = record.agentID else { throw APIError.conflict("the project has no agent", type: "/problems/no-agent") }
            try await AgentAssignmentRepository.close(projectID: record.id, on: today, ending: .ended, reason: reason,
                                                      on: connection, logger: context.logger)
            record.agentID = nil
            return [NewEvent(.agentEnded(agent: former, reason: reason), actorID: user.id, at: context.clock.now(), on: today)]
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    func listAgentAssignments(_ input: Operations.ListAgentAssignments.Input) async throws -> Operations.ListAgentAssignments.Output {
        let history = try await readProject(input.path.code) { record, _, _, _, connection in
            try await AgentAssignmentRepository.history(projectID: record.id, on: connection, logger: context.logger)
        }
        return .ok(.init(body: .json(.init(assignments: history.map { assignment in
            .init(agent: assignment.agentID, agentName: assignment.agentName, startedOn: assignment.startedOn.description,
                  endedOn: assignment.endedOn?.description, endedBy: assignment.endedBy.map { .init(rawValue: $0.rawValue)! },
                  reason: assignment.reason, handoverNote: assignment.handoverNote, handedTo: assignment.handedTo)
        }))))
    }

    func suggestAgent(_ input: Operations.SuggestAgent.Input) async throws -> Operations.SuggestAgent.Output {
        let suggestion = try await readProject(input.path.code) { record, _, _, user, connection in
            try Access.checkMayAssignAgents(user)
            guard let found = try await AgentDirectory.suggestion(forRegion: record.region, on: connection, logger: context.logger) else {
                throw APIError.conflict("no active agent in \(record.region) or the regions above it has room for another project; raise a capacity or add an agent",
                                        type: "/problems/no-agent-available")
            }
            return found
        }
        return .ok(.init(body: .json(.init(agent: Self.agentBody(suggestion.agent), reason: suggestion.reason))))
    }

    /// The agent proposed, as the domain's rule needs them (`ProjectAgent`), and as a user; nil when no agent has the id.
    private func candidate(_ id: Int64, on connection: PostgresConnection) async throws -> (ProjectAgent.Candidate, User)? {
        try await AgentDirectory.agents(regionPrefix: nil, level: nil, active: nil, ids: [id], on: connection, logger: context.logger)
            .first.map { profile in
                (ProjectAgent.Candidate(id: profile.user.id, name: profile.user.name, active: profile.user.active, region: profile.user.region,
                                           activeProjects: profile.activeProjects, capacity: profile.capacity), profile.user)
            }
    }

    // MARK: The agency agreement

    func listAgreements(_ input: Operations.ListAgreements.Input) async throws -> Operations.ListAgreements.Output {
        let (agreements, today) = try await readProject(input.path.code) { record, _, today, _, connection in
            (try await AgencyAgreementRepository.all(projectID: record.id, on: connection, logger: context.logger), today)
        }
        return .ok(.init(body: .json(.init(agreements: agreements.map { ProjectStatusMapper.agreement($0, today: today) }))))
    }

    func actOnAgreement(_ input: Operations.ActOnAgreement.Input) async throws -> Operations.ActOnAgreement.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let body = try await changeProject(code: input.path.code, operation: "actOnAgreement", request: request,
                                           idempotencyKey: input.headers.idempotencyKey) { record, project, today, user, connection in
            let current = try await AgencyAgreementRepository.current(projectID: record.id, on: connection, logger: context.logger)
            let (agreement, event) = try await agreementChange(request, current: current, record: record, project: project, today: today,
                                                               user: user, on: connection)
            return ([NewEvent(.agreement(event), actorID: user.id, at: context.clock.now(), on: today)],
                    ProjectStatusMapper.agreement(agreement, today: today))
        }
        return .ok(.init(body: .json(body)))
    }

    /// The domain's decision on the agreement (`AgencyAgreement+Changes.swift`), written with its event's payload.
    private func agreementChange(_ request: Operations.ActOnAgreement.Input.Body.JsonPayload, current: AgencyAgreement?, record: ProjectRecord,
                                 project: Project, today: CivilDate, user: User,
                                 on connection: PostgresConnection) async throws -> (AgencyAgreement, AgreementEvent) {
        try Access.checkMaySign(request.action, user: user)
        let validUntil = try request.validUntil.map { try Self.date($0, field: "validUntil") }
        let startsOn = try request.startsOn.map { try Self.date($0, field: "startsOn") }
        do {
            if request.action == .authorise {
                let terms = try AgencyAgreement.authorise(current: current, scope: request.scope, startsOn: startsOn, validUntil: validUntil,
                                                          project: project, today: today)
                // Only the investor signs in the system; anyone else authorising records a paper agreement.
                let onPaper = user.role != .investor
                let agreement = try await AgencyAgreementRepository.authorise(projectID: record.id, scope: terms.scope, startsOn: terms.startsOn,
                                                                              validUntil: terms.validUntil, by: user.id, onPaper: onPaper,
                                                                              on: connection, logger: context.logger)
                return (agreement, AgreementEvent(.authorised, agreement: agreement.id, scope: terms.scope, startsOn: terms.startsOn,
                                                  validUntil: terms.validUntil, onPaper: onPaper))
            }
            guard var agreement = current else { throw AgreementRefusal.noAgreement }
            let event: AgreementEvent
            switch request.action {
            case .renew:
                try agreement.renew(until: validUntil, scope: request.scope, project: project, today: today)
                event = AgreementEvent(.renewed, agreement: agreement.id, scope: agreement.scope, validUntil: agreement.validUntil)
            case .terminate:
                try agreement.terminate(reason: request.reason, today: today)
                event = AgreementEvent(.terminated, agreement: agreement.id, reason: agreement.endReason)
            case .complete:
                try agreement.complete(project: project, today: today)
                event = AgreementEvent(.completed, agreement: agreement.id)
            case .authorise:
                throw AgreementRefusal.alreadyActive(agreement: agreement.id)
            }
            try await AgencyAgreementRepository.save(agreement, on: connection, logger: context.logger)
            return (agreement, event)
        } catch let refusal as AgreementRefusal {
            throw APIError.refused(refusal)
        }
    }

    /// A text a request must fill (a reason, a name), without its surrounding blanks.
    static func stated(_ text: String?, field: String, _ detail: String) throws(APIError) -> String {
        let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !trimmed.isEmpty else { throw .invalid(field: field, detail) }
        return trimmed
    }

    /// A date given in a request or a query, in the years the contract's `Day` allows.
    static func date(_ text: String, field: String) throws(APIError) -> CivilDate {
        guard let date = CivilDate(input: text) else { throw .invalid(field: field, "'\(text)' is not a date (\(CivilDate.acceptedForm))") }
        return date
    }

    static func agentBody(_ profile: AgentProfile) -> Components.Schemas.Agent {
        .init(id: profile.user.id, name: profile.user.name, region: profile.user.region, level: ProjectStatusMapper.agentLevel(profile.level),
              capacity: profile.capacity, active: profile.user.active, phone: profile.user.phone, activeProjects: profile.activeProjects)
    }
}
