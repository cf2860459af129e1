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
            try Access.checkMayPerform(kind, on: item.definition, user: user, projectRegion: record.region)
            var onBehalf: OnBehalf?
            if user.role == .agent {
                // On behalf of the investor (代办): only the project's current agent, within an agreement in force.
                if let refusal = AgencyAgreement.onBehalfRefusal(latest: change.loaded.agreement, item: itemID, on: today) {
                    throw APIError.forbidden("you may not \(kind.rawValue) '\(itemID)' for the investor: \(refusal)")
                }
                onBehalf = OnBehalf(organisation: record.investorOrganisation, agentName: user.name)
            }
            guard case let .transition(asked) = requested else {
                guard case let .formalDocument(number) = requested else { return }
                try recordFormalDocument(number, item: item, change: &change)
                return
            }
            let calendar = context.registry.calendar(for: change.project.workflow)
            let attached = change.attachments[itemID]?.mapValues(\.sha256) ?? [:]
            let action = try Self.naming(asked, on: itemID, of: change.project, attached: attached)
            let before = change.project
            do throws(ItemTransitionError) {
                if kind == .resubmit {
                    try change.project.resubmit(itemID, date: today, calendar: calendar)
                } else {
                    try change.project.perform(action, on: itemID, date: today, calendar: calendar)
                }
                // After the state's own refusals, which say more (a closed item, 容缺 not allowed), and against the item
                // as it was; a refusal here discards the change whole.
                try before.checkMaterials(for: action, resubmitting: kind == .resubmit, on: itemID, attached: attached)
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

    /// The action with the application's requirements it names filled in from the project: a supplement request
    /// records the version of each requirement it finds deficient, and a commitment lists the names of the ones it covers.
    static func naming(_ action: ItemAction, on itemID: String, of project: Project, attached: AttachedMaterials) throws(APIError) -> ItemAction {
        switch action {
        case let .suspend(.supplement(missing, requested)) where !requested.isEmpty:
            do throws(FieldProblem) {
                return .suspend(.supplement(missingMaterials: missing,
                                            requirements: try project.requestedMaterials(requested.map(\.requirement), on: itemID, attached: attached)))
            } catch {
                throw .invalid([error])
            }
        case let .accept(commitment?) where !commitment.requirements.isEmpty:
            let requirements = project.item(itemID)?.definition.requirements ?? []
            let names = commitment.requirements.map { id in requirements.first { $0.id == id }?.name ?? id }
            return .accept(commitment: DeficiencyCommitment(missingMaterials: names + commitment.missingMaterials,
                                                            requirements: commitment.requirements, dueDate: commitment.dueDate))
        default:
            return action
        }
    }

    enum Requested {
        /// A change of the item's state, decided by the engine.
        case transition(ItemAction)
        /// The formal document owed after a default approval was issued: no state change, a recorded fact.
        case formalDocument(number: String)
    }

    /// After a default approval, the department records the formal document it issued (due within 1 working day).
    func recordFormalDocument(_ number: String, item: ProjectItem, change: inout ProjectChange) throws {
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
            guard request.commitment == nil, request.suspension == nil, request.reason == nil, request.source == nil, request.extensionDays == nil else {
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
                                           ("documentNumber", request.documentNumber != nil), ("extensionDays", request.extensionDays != nil)]
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
            let missing = (commitment.missingMaterials ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let requirements = Self.identifiers(commitment.requirements)
            guard !missing.isEmpty || !requirements.isEmpty else {
                throw .invalid(field: "commitment.requirements", "name the non-core requirements still missing (or, outside the list, commitment.missingMaterials)")
            }
            let due = try Self.date(commitment.dueDate, field: "commitment.dueDate")
            return .accept(commitment: DeficiencyCommitment(missingMaterials: missing, requirements: requirements, dueDate: due))
        case .suspend:
            try refuseExtra(["suspension"])
            guard let suspension = request.suspension else {
                throw .invalid(field: "suspension", "suspend needs a reason: supplement (with the missing materials) or an excluded procedure")
            }
            let missing = (suspension.missingMaterials ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let requirements = Self.identifiers(suspension.requirements)
            if suspension.reason == .supplement, missing.isEmpty, requirements.isEmpty {
                throw .invalid(field: "suspension.requirements",
                               "a supplement request names every missing or deficient requirement at once (一次性告知), and anything outside the list in suspension.missingMaterials")
            }
            if suspension.reason != .supplement, let field = suspension.missingMaterials != nil ? "missingMaterials" : suspension.requirements != nil ? "requirements" : nil {
                throw .invalid(field: "suspension.\(field)", "only a supplement request lists missing materials")
            }
            // The contract's reasons are the engine's codes, one for one; the versions found deficient are filled in
            // from the project (`naming`).
            guard let reason = ClockStopReason(code: suspension.reason.rawValue, missingMaterials: missing,
                                               requirements: requirements.map { RequestedMaterial(requirement: $0, deficient: nil) }) else {
                throw .invalid(field: "suspension.reason", "'\(suspension.reason.rawValue)' is not a reason the clock stops for")
            }
            return .suspend(reason)
        case .reject:
            try refuseExtra(["reason"])
            return .reject(reason: try stated(request.reason, field: "reason", "a rejection states its reason"))
        case .exempt:
            try refuseExtra(["source"])
            return .exempt(source: try stated(request.source, field: "source", "an exemption names its source (e.g. 区域评估, the exemption list)"))
        case .requestExtension:
            try refuseExtra(["reason", "extensionDays"])
            guard let days = request.extensionDays else { throw .invalid(field: "extensionDays", "the working days the extension asks for") }
            return .requestExtension(days: days, reason: try stated(request.reason, field: "reason", "an extension request states its reason"))
        case .grantExtension:
            try refuseExtra([])
            return .grantExtension
        case .refuseExtension:
            try refuseExtra(["reason"])
            return .refuseExtension(reason: try stated(request.reason, field: "reason", "a refused extension states why"))
        case .recordFormalDocument:
            throw .invalid(field: "action", "recordFormalDocument is not a state change")
        }
    }

    /// Requirement ids as given, trimmed, blanks and repeats dropped.
    private static func identifiers(_ given: [String]?) -> [String] {
        var seen: Set<String> = []
        return (given ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}
