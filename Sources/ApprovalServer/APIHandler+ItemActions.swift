import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation
import PostgresNIO

extension APIHandler {
    func performItemAction(_ input: Operations.PerformItemAction.Input) async throws -> Operations.PerformItemAction.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        // The contract's actions are the access rules' kinds, one for one.
        guard let kind = Access.ItemActionKind(rawValue: request.action.rawValue) else {
            throw APIError.invalid(field: "action", "'\(request.action.rawValue)' is not an item action")
        }
        let requested = try Self.requested(kind, request)
        let itemID = input.path.item
        let response = try await decideProject(code: input.path.code, operation: "performItemAction", request: request,
                                               ifMatch: input.headers.ifMatch, idempotencyKey: input.headers.idempotencyKey) { change in
            let (record, today, user) = (change.record, change.today, change.user)
            guard let item = change.project.item(itemID) else {
                throw APIError.notFound("item '\(itemID)' of project \(record.code) (workflow \(change.project.workflow.id))", field: "item")
            }
            try Access.checkMayPerform(kind, on: item.definition, user: user)
            var onBehalf: OnBehalf?
            if user.role == .agent {
                // On behalf of the investor (代办): only the project's current agent, within an agreement in force.
                if let refusal = AgencyAgreement.onBehalfRefusal(latest: change.loaded.agreement, item: itemID, on: today) {
                    throw APIError.forbidden("you may not \(kind.rawValue) '\(itemID)' for the investor: \(refusal)")
                }
                onBehalf = OnBehalf(organisation: record.investorOrganisation, agentName: user.name)
            }
            guard case let .transition(action) = requested else {
                guard case let .formalDocument(number) = requested else { return }
                try recordFormalDocument(number, item: item, change: &change)
                return
            }
            let calendar = context.registry.calendar(for: change.project.workflow)
            do throws(ItemTransitionError) {
                if kind == .resubmit {
                    try change.project.resubmit(itemID, date: today, calendar: calendar)
                } else {
                    try change.project.perform(action, on: itemID, date: today, calendar: calendar)
                }
            } catch {
                throw APIError.refused(error)
            }
            var transition = ItemTransition(action, before: item, in: change.project)
            transition.resubmitted = kind == .resubmit
            transition.onBehalf = onBehalf
            change.events.append(NewEvent(.item(transition), itemID: itemID, actorID: user.id, at: context.clock.now(), on: today))
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    enum Requested {
        /// A change of the item's state, decided by the engine.
        case transition(ItemAction)
        /// The formal document owed after a default approval was issued: no state change, a recorded fact.
        case formalDocument(number: String)
    }

    /// After a default approval, the department records the formal document it issued (due within 1 working day).
    private func recordFormalDocument(_ number: String, item: ProjectItem, change: inout ProjectChange) throws {
        let document: FormalDocument
        do {
            document = try FormalDocument.toRecord(change.documents[item.id], item: item)
        } catch {
            throw APIError.conflict(error.description, state: item.state.rawValue)
        }
        change.issue(document, number: number)
        change.events.append(NewEvent(.formalDocumentIssued(number: number, dueOn: document.dueOn, late: change.today > document.dueOn),
                                      itemID: item.id, actorID: change.user.id, at: context.clock.now(), on: change.today))
    }

    /// What a request asks for, after checking the fields each action needs (and only those).
    static func requested(_ kind: Access.ItemActionKind, _ request: Components.Schemas.ItemActionRequest) throws(APIError) -> Requested {
        if kind == .recordFormalDocument {
            guard request.commitment == nil, request.suspension == nil, request.reason == nil, request.source == nil else {
                throw .invalid(field: "documentNumber", "recordFormalDocument takes only documentNumber")
            }
            return .formalDocument(number: try stated(request.documentNumber, field: "documentNumber", "the number of the formal document issued"))
        }
        return .transition(try itemAction(kind, request))
    }

    static func itemAction(_ kind: Access.ItemActionKind, _ request: Components.Schemas.ItemActionRequest) throws(APIError) -> ItemAction {
        func refuseExtra(_ allowed: Set<String>) throws(APIError) {
            let given: [(String, Bool)] = [("commitment", request.commitment != nil), ("suspension", request.suspension != nil),
                                           ("reason", request.reason != nil), ("source", request.source != nil),
                                           ("documentNumber", request.documentNumber != nil)]
            if let (field, _) = given.first(where: { $0.1 && !allowed.contains($0.0) }) {
                throw .invalid(field: field, "not used by \(kind.rawValue)")
            }
        }
        switch kind {
        case .submit:
            try refuseExtra([])
            return .submit
        case .resubmit, .resume:
            try refuseExtra([])
            return .resume
        case .withdraw:
            try refuseExtra([])
            return .withdraw
        case .approve:
            try refuseExtra([])
            return .approve
        case .fulfilCommitment:
            try refuseExtra([])
            return .fulfilCommitment
        case .accept:
            try refuseExtra(["commitment"])
            guard let commitment = request.commitment else { return .accept(commitment: nil) }
            let missing = commitment.missingMaterials.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !missing.isEmpty else { throw .invalid(field: "commitment.missingMaterials", "list the non-core materials still missing") }
            let due = try Self.date(commitment.dueDate, field: "commitment.dueDate")
            return .accept(commitment: DeficiencyCommitment(missingMaterials: missing, dueDate: due))
        case .suspend:
            try refuseExtra(["suspension"])
            guard let suspension = request.suspension else {
                throw .invalid(field: "suspension", "suspend needs a reason: supplement (with the missing materials) or an excluded procedure")
            }
            let missing = (suspension.missingMaterials ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if suspension.reason == .supplement, missing.isEmpty {
                throw .invalid(field: "suspension.missingMaterials", "a supplement request lists every missing material at once (一次性告知)")
            }
            if suspension.reason != .supplement, suspension.missingMaterials != nil {
                throw .invalid(field: "suspension.missingMaterials", "only a supplement request lists missing materials")
            }
            // The contract's reasons are the engine's codes, one for one.
            guard let reason = ClockStopReason(code: suspension.reason.rawValue, missingMaterials: missing) else {
                throw .invalid(field: "suspension.reason", "'\(suspension.reason.rawValue)' is not a reason the clock stops for")
            }
            return .suspend(reason)
        case .reject:
            try refuseExtra(["reason"])
            return .reject(reason: try stated(request.reason, field: "reason", "a rejection states its reason"))
        case .exempt:
            try refuseExtra(["source"])
            return .exempt(source: try stated(request.source, field: "source", "an exemption names its source (e.g. 区域评估, the exemption list)"))
        case .recordFormalDocument:
            throw .invalid(field: "action", "recordFormalDocument is not a state change")
        }
    }
}
