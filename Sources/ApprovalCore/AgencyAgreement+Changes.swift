import Foundation

/// What may happen to a project's agency agreement (代办协议): authorised by the investor, renewed (续办),
/// terminated with a reason, completed (办结) once every applicable item has ended. Each change is checked here
/// before anything is written; who signs which change is the server's access rule.
public enum AgreementRefusal: Error, Sendable, Hashable {
    /// An agreement is already in force: renew or terminate it.
    case alreadyActive(agreement: Int64)
    /// Nothing to renew, terminate or complete.
    case noAgreement
    /// Completion needs every applicable item ended; these are still open.
    case itemsOpen([String])
    /// A field of the request is wrong (field, what is wrong).
    case invalid([FieldProblem])
}

/// The terms of an agreement the investor authorises.
public struct AgreementTerms: Sendable, Hashable {
    public let scope: [String]
    public let startsOn: CivilDate
    public let validUntil: CivilDate?

    public init(scope: [String], startsOn: CivilDate, validUntil: CivilDate?) {
        self.scope = scope
        self.startsOn = startsOn
        self.validUntil = validUntil
    }
}

extension AgencyAgreement {
    /// The terms of a new agreement, when none is in force: the scope names applicable items of the project, and
    /// it starts today unless told otherwise.
    public static func authorise(current: AgencyAgreement?, scope: [String]?, startsOn: CivilDate?, validUntil: CivilDate?,
                                 project: Project, today: CivilDate) throws(AgreementRefusal) -> AgreementTerms {
        if let current { throw .alreadyActive(agreement: current.id) }
        let scope = try validScope(scope, project: project)
        let startsOn = startsOn ?? today
        if let validUntil, validUntil < startsOn { throw .invalid([.init(field: "validUntil", detail: "\(validUntil) is before the start \(startsOn)")]) }
        return AgreementTerms(scope: scope, startsOn: startsOn, validUntil: validUntil)
    }

    /// 续办: a new end date from today on, and optionally a new scope.
    public mutating func renew(until validUntil: CivilDate?, scope: [String]?, project: Project, today: CivilDate) throws(AgreementRefusal) {
        guard let validUntil else { throw .invalid([.init(field: "validUntil", detail: "a renewal (续办) gives the new end date")]) }
        guard validUntil >= today else { throw .invalid([.init(field: "validUntil", detail: "\(validUntil) is already past")]) }
        if let scope { self.scope = try Self.validScope(scope, project: project) }
        self.validUntil = validUntil
        renewals += 1
    }

    public mutating func terminate(reason: String?, today: CivilDate) throws(AgreementRefusal) {
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !reason.isEmpty else {
            throw .invalid([.init(field: "reason", detail: "say why the agreement is terminated (e.g. false materials, the investor's request)")])
        }
        state = .terminated
        endedOn = today
        endReason = reason
    }

    /// 办结: the agency service ends with the project's approvals.
    public mutating func complete(project: Project, today: CivilDate) throws(AgreementRefusal) {
        let open = project.items.filter { !$0.state.hasEnded && $0.state != .notApplicable }.map(\.definition.id)
        guard open.isEmpty else { throw .itemsOpen(open) }
        state = .completed
        endedOn = today
    }

    /// The items an agent may act on: items of the project's workflow that apply to it, each once, sorted.
    public static func validScope(_ scope: [String]?, project: Project) throws(AgreementRefusal) -> [String] {
        guard let scope, !scope.isEmpty else { throw .invalid([.init(field: "scope", detail: "list the items the agent may act on for the investor")]) }
        var problems: [FieldProblem] = []
        for (index, id) in scope.enumerated() {
            guard let item = project.item(id) else {
                problems.append(.init(field: "scope[\(index)]", detail: "'\(id)' is not an item of workflow \(project.workflow.id)"))
                continue
            }
            if item.state == .notApplicable { problems.append(.init(field: "scope[\(index)]", detail: "'\(id)' does not apply to this project")) }
        }
        guard problems.isEmpty else { throw .invalid(problems) }
        return Array(Set(scope)).sorted()
    }
}
