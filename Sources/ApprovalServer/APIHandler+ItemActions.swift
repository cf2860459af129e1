import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation

extension APIHandler {
    func performItemAction(_ input: Operations.PerformItemAction.Input) async throws -> Operations.PerformItemAction.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        let kind = Access.ItemActionKind(rawValue: request.action.rawValue)!
        let action = try Self.itemAction(kind, request)
        let itemID = input.path.item
        let response = try await writeProject(code: input.path.code, operation: "performItemAction", request: request,
                                              ifMatch: input.headers.ifMatch, idempotencyKey: input.headers.idempotencyKey) { record, project, today, user, _ in
            guard let item = project.item(itemID) else {
                throw APIError.notFound("item '\(itemID)' of project \(record.code) (workflow \(project.workflow.id))", field: "item")
            }
            try Access.checkMayPerform(kind, on: item.definition, user: user)
            if kind == .resubmit {
                guard item.state == .suspended, case .supplement? = item.stops.last?.reason else {
                    throw APIError.conflict("resubmit answers a supplement request, and item '\(itemID)' is \(item.state.rawValue)"
                                            + (item.state == .suspended ? " for \(item.stops.last!.reason.code), which its department resumes" : ""),
                                            state: item.state.rawValue, type: "/problems/illegal-transition")
                }
            }
            let before = item.state
            do {
                try project.perform(action, on: itemID, date: today, calendar: context.registry.calendar(for: project.workflow))
            } catch let error as ItemTransitionError {
                throw APIError.refused(error)
            }
            var payload = action.payload
            payload["from"] = .string(before.rawValue)
            payload["to"] = .string(project.item(itemID)!.state.rawValue)
            if kind == .resubmit { payload["as"] = .string("resubmit") }
            return [NewEvent(kind: "item.\(action.code)", itemID: itemID, payload: payload, actorID: user.id,
                             at: context.clock.now(), on: today)]
        }
        return .ok(.init(headers: .init(eTag: response.etag), body: .json(response.status)))
    }

    /// The engine's action for a request, after checking the fields each action needs (and only those).
    static func itemAction(_ kind: Access.ItemActionKind, _ request: Components.Schemas.ItemActionRequest) throws(APIError) -> ItemAction {
        func refuseExtra(_ allowed: Set<String>) throws(APIError) {
            let given: [(String, Bool)] = [("commitment", request.commitment != nil), ("suspension", request.suspension != nil),
                                           ("reason", request.reason != nil), ("source", request.source != nil)]
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
            guard let due = CivilDate(iso: commitment.dueDate) else {
                throw .invalid(field: "commitment.dueDate", "'\(commitment.dueDate)' is not a date (YYYY-MM-DD)")
            }
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
            return .suspend(ClockStopReason(code: suspension.reason.rawValue, missingMaterials: missing)!)
        case .reject:
            try refuseExtra(["reason"])
            let reason = request.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !reason.isEmpty else { throw .invalid(field: "reason", "a rejection states its reason") }
            return .reject(reason: reason)
        case .exempt:
            try refuseExtra(["source"])
            let source = request.source?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !source.isEmpty else { throw .invalid(field: "source", "an exemption names its source (e.g. 区域评估, the exemption list)") }
            return .exempt(source: source)
        }
    }
}
