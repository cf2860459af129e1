import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation

/// The agent's side of a project day to day: the progress log, difficult cases (疑难会商) and the investor's
/// ratings (好差评).
extension APIHandler {
    func listProgress(_ input: Operations.ListProgress.Input) async throws -> Operations.ListProgress.Output {
        let updates = try await readProject(input.path.code) { record, _, _, _, connection in
            try await ProgressLog.updates(projectID: record.id, on: connection, logger: context.logger)
        }
        return .ok(.init(body: .json(.init(updates: updates.map(ProjectStatusMapper.progress)))))
    }

    func logProgress(_ input: Operations.LogProgress.Input) async throws -> Operations.LogProgress.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let text = try Self.stated(request.text, field: "text", "say what happened")
        let nextStepOn = try request.nextStepOn.map { try Self.date($0, field: "nextStepOn") }
        let update = try await changeProject(code: input.path.code, operation: "logProgress", request: request,
                                             idempotencyKey: input.headers.idempotencyKey, status: 201) { record, project, today, user, connection in
            try Access.checkWorksInTheField(user, on: record, "progress is logged")
            do throws(FieldProblem) {
                try project.checkNamesItem(request.item)
                try ProgressUpdate.checkNextStep(nextStepOn, today: today)
            } catch {
                throw APIError.invalid([error])
            }
            let kind = ProgressUpdate.Kind(rawValue: request.kind.rawValue)!
            let update = try await ProgressLog.log(projectID: record.id, authorID: user.id, kind: kind, text: text, itemID: request.item,
                                                   nextStepOn: nextStepOn, at: context.clock.now(), on: today, on: connection, logger: context.logger)
            return ([NewEvent(.progressLogged(progress: update.id, kind: kind, text: text, nextStepOn: nextStepOn), itemID: request.item,
                              actorID: user.id, at: context.clock.now(), on: today)],
                    ProjectStatusMapper.progress(update))
        }
        return .created(.init(body: .json(update)))
    }

    // MARK: Difficult cases (疑难会商)

    func listDifficultCases(_ input: Operations.ListDifficultCases.Input) async throws -> Operations.ListDifficultCases.Output {
        let (cases, today) = try await readProject(input.path.code) { record, _, today, _, connection in
            (try await DifficultCaseRepository.cases(projectID: record.id, on: connection, logger: context.logger), today)
        }
        return .ok(.init(body: .json(.init(cases: cases.map { Self.caseBody($0, today: today) }))))
    }

    func raiseDifficultCase(_ input: Operations.RaiseDifficultCase.Input) async throws -> Operations.RaiseDifficultCase.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let title = request.title.trimmingCharacters(in: .whitespacesAndNewlines)
        let description = request.description.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [APIError.FieldProblem] = []
        if title.isEmpty { problems.append(.init(field: "title", detail: "must not be empty")) }
        if description.isEmpty { problems.append(.init(field: "description", detail: "describe the difficulty")) }
        guard problems.isEmpty else { throw APIError.invalid(problems) }
        let raised = try await changeProject(code: input.path.code, operation: "raiseDifficultCase", request: request,
                                             idempotencyKey: input.headers.idempotencyKey, status: 201) { record, project, today, user, connection in
            try Access.checkWorksInTheField(user, on: record, "difficult cases are raised")
            do throws(FieldProblem) { try project.checkNamesItem(request.item) } catch { throw APIError.invalid([error]) }
            let raised = try await DifficultCaseRepository.raise(projectID: record.id, itemID: request.item, title: title, description: description,
                                                                 by: user.id, on: today, on: connection, logger: context.logger)
            return ([NewEvent(.caseRaised(case: raised.id, title: title), itemID: request.item,
                              actorID: user.id, at: context.clock.now(), on: today)],
                    Self.caseBody(raised, today: today))
        }
        return .created(.init(body: .json(raised)))
    }

    func resolveDifficultCase(_ input: Operations.ResolveDifficultCase.Input) async throws -> Operations.ResolveDifficultCase.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let outcome = try Self.stated(request.outcome, field: "outcome", "record what the meeting decided")
        let meetingOn = try Self.date(request.meetingOn, field: "meetingOn")
        let caseID = input.path.caseId
        let resolved = try await changeProject(code: input.path.code, operation: "resolveDifficultCase", request: request,
                                               idempotencyKey: input.headers.idempotencyKey) { record, _, today, user, connection in
            try Access.checkMayResolveCases(user)
            guard let found = try await DifficultCaseRepository.find(caseID, projectID: record.id, on: connection, logger: context.logger) else {
                throw APIError.notFound("case \(caseID) of project \(record.code)", field: "caseId")
            }
            do throws(DifficultCase.Refusal) {
                try found.checkResolvable(meetingOn: meetingOn, today: today)
            } catch let .resolved(on, outcome) {
                throw APIError.conflict("case \(caseID) was resolved on \(on?.description ?? "?") (\(outcome ?? ""))", type: "/problems/case-resolved")
            } catch let .invalid(problem) {
                throw APIError.invalid([problem])
            }
            try await DifficultCaseRepository.resolve(caseID, meetingOn: meetingOn, outcome: outcome, by: user.id, on: today,
                                                      on: connection, logger: context.logger)
            // Read again in the same transaction, after the update.
            guard let resolved = try await DifficultCaseRepository.find(caseID, projectID: record.id, on: connection, logger: context.logger) else {
                throw APIError.notFound("case \(caseID) of project \(record.code)", field: "caseId")
            }
            return ([NewEvent(.caseResolved(case: caseID, meetingOn: meetingOn, outcome: outcome), itemID: found.itemID,
                              actorID: user.id, at: context.clock.now(), on: today)],
                    Self.caseBody(resolved, today: today))
        }
        return .ok(.init(body: .json(resolved)))
    }

    static func caseBody(_ found: DifficultCase, today: CivilDate) -> Components.Schemas.DifficultCase {
        .init(id: found.id, item: found.itemID, title: found.title, description: found.description, raisedOn: found.raisedOn.description,
              raisedBy: found.raisedBy, meetingOn: found.meetingOn?.description, outcome: found.outcome,
              resolvedOn: found.resolvedOn?.description, open: found.isOpen, ageDays: found.ageDays(asOf: today))
    }

    // MARK: Ratings (好差评)

    func listRatings(_ input: Operations.ListRatings.Input) async throws -> Operations.ListRatings.Output {
        let ratings = try await readProject(input.path.code) { record, _, _, _, connection in
            try await RatingRepository.ratings(projectID: record.id, on: connection, logger: context.logger)
        }
        return .ok(.init(body: .json(.init(ratings: ratings.map(Self.ratingBody)))))
    }

    func rate(_ input: Operations.Rate.Input) async throws -> Operations.Rate.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let rating: Components.Schemas.Rating = try await changeProject(code: input.path.code, operation: "rate", request: request,
                                             idempotencyKey: input.headers.idempotencyKey) { record, project, today, user, connection in
            try Access.checkMayRate(user)
            // Only the agent's rating asks who carried the agency and whether its agreement ended.
            var latestAgreement: AgencyAgreement?
            var agentID: Int64?
            if request.subject == "agent" {
                latestAgreement = try await AgencyAgreementRepository.all(projectID: record.id, on: connection, logger: context.logger).last
                agentID = record.agentID
                if agentID == nil {
                    agentID = try await AgentAssignmentRepository.history(projectID: record.id, on: connection, logger: context.logger).last?.agentID
                }
            }
            let now = context.clock.now()
            let ratings = try await RatingRepository.ratings(projectID: record.id, on: connection, logger: context.logger)
            let subject: Rating.Subject
            let previous: Rating?
            do throws(Rating.Refusal) {
                subject = try Rating.subject(request.subject, of: project, latestAgreement: latestAgreement, agentID: agentID)
                previous = ratings.first { $0.subject.key == subject.key }
                try Rating.checkMayRate(previous: previous, at: now)
            } catch let refusal {
                throw Self.problem(refusal)
            }
            try await RatingRepository.rate(projectID: record.id, subject: subject, score: request.score, text: text, by: user.id, at: now,
                                            on: connection, logger: context.logger)
            // Read again in the same transaction, after the write.
            guard let saved = try await RatingRepository.ratings(projectID: record.id, on: connection, logger: context.logger)
                .first(where: { $0.subject.key == subject.key }) else {
                throw APIError.notFound("the rating of \(request.subject)", field: "subject")
            }
            var agent: Int64?
            if case let .agent(id) = subject { agent = id }
            return ([NewEvent(.rated(changed: previous != nil, subject: request.subject, score: request.score, agent: agent),
                              actorID: user.id, at: now, on: today)],
                    Self.ratingBody(saved))
        }
        return .ok(.init(body: .json(rating)))
    }

    static func problem(_ refusal: Rating.Refusal) -> APIError {
        switch refusal {
        case .agreementStillActive: .conflict(refusal.description, type: "/problems/agreement-active")
        case .neverHadAnAgent: .conflict(refusal.description)
        case .unknownSubject: .invalid(field: "subject", refusal.description)
        case let .itemNotEnded(_, state): .conflict(refusal.description, state: state.rawValue)
        case .final: .conflict(refusal.description, type: "/problems/rating-final")
        }
    }

    static func ratingBody(_ rating: Rating) -> Components.Schemas.Rating {
        var subject = "agent"
        var agent: Int64?
        switch rating.subject {
        case let .item(id): subject = id
        case let .agent(id): agent = id
        }
        return .init(subject: subject, agent: agent, score: rating.score, text: rating.text, ratedAt: rating.firstAt, editableUntil: rating.editableUntil)
    }
}
