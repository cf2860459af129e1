/// A requirement a supplement request (补正) names: missing, or found deficient in the version attached then.
public struct RequestedMaterial: Sendable, Hashable, Codable {
    public let requirement: String
    /// SHA-256 of the version found deficient; nil when nothing was attached. The same bytes do not answer it.
    public let deficient: String?

    public init(requirement: String, deficient: String?) {
        self.requirement = requirement
        self.deficient = deficient
    }

    var json: JSONValue { .array([.string(requirement), deficient.map(JSONValue.string) ?? .null]) }

    init(json: JSONValue) throws(StoredEventError) {
        guard case let .array(fields) = json, fields.count == 2, case let .string(requirement) = fields[0] else {
            throw StoredEventError(message: "a requested material that is not [requirement, deficient digest]")
        }
        self.init(requirement: requirement, deficient: fields[1].stringValue)
    }
}

/// A requirement an action found without a usable material.
public struct MissingMaterial: Sendable, Hashable {
    public let requirement: MaterialRequirement
    /// The attached version is the one a supplement request found deficient.
    public let deficient: Bool

    public var description: String {
        "\(requirement.name) (\(requirement.id)\(requirement.core ? ", core" : ""))\(deficient ? " is still the version found deficient" : " is missing")"
    }
}

/// What an item's application carries: requirement id → SHA-256 of the attached version.
public typealias AttachedMaterials = [String: String]

extension Project {
    /// Checks, before an action is decided, that the item's application carries what the action needs (the
    /// events replayed later are facts and are not checked again):
    /// - acceptance (受理): every core material (a non-core one the window may do without, or take a 容缺
    ///   commitment naming it, which must then be one the application lacks);
    /// - a resubmission after a supplement request: for each requirement it named, a material other than the
    ///   version found deficient;
    /// - fulfilling a 容缺 commitment: each requirement it named.
    public func checkMaterials(for action: ItemAction, resubmitting: Bool, on itemID: String,
                               attached: AttachedMaterials) throws(ItemTransitionError) {
        guard let item = item(itemID) else { return }
        let requirements = item.definition.requirements
        func refuse(_ missing: [MissingMaterial], _ advice: String) throws(ItemTransitionError) {
            guard missing.isEmpty else {
                throw .materialsMissing(item: itemID, action: resubmitting ? "resubmit" : action.name, missing: missing, advice: advice)
            }
        }
        switch action {
        case let .accept(commitment):
            try refuse(requirements.filter { $0.core && attached[$0.id] == nil }.map { MissingMaterial(requirement: $0, deficient: false) },
                       "a core material (核心材料) must be attached before the item is accepted")
            for id in commitment?.requirements ?? [] {
                guard let requirement = requirements.first(where: { $0.id == id }) else {
                    throw .invalidRequest(item: itemID, action: action.name, problem: "the commitment names '\(id)', which the item does not require")
                }
                guard !requirement.core else {
                    throw .invalidRequest(item: itemID, action: action.name, problem: "the commitment names '\(id)', a core material: 容缺 covers only non-core ones")
                }
                guard attached[id] == nil else {
                    throw .invalidRequest(item: itemID, action: action.name, problem: "the commitment names '\(id)', which is already attached")
                }
            }
        case .resume where resubmitting:
            guard case let .supplement(_, requested)? = item.stops.last?.reason else { return }
            try refuse(requested.compactMap { request in
                guard let requirement = requirements.first(where: { $0.id == request.requirement }) else { return nil }
                guard let digest = attached[request.requirement] else { return MissingMaterial(requirement: requirement, deficient: false) }
                return digest == request.deficient ? MissingMaterial(requirement: requirement, deficient: true) : nil
            }, "the supplement request (补正) named them; attach each before resubmitting")
        case .fulfilCommitment:
            try refuse((item.commitment?.requirements ?? []).compactMap { id in
                guard attached[id] == nil, let requirement = requirements.first(where: { $0.id == id }) else { return nil }
                return MissingMaterial(requirement: requirement, deficient: false)
            }, "the 容缺 commitment named them; attach each to fulfil it")
        default:
            return
        }
    }

    /// The requirements a supplement request names, each with the version attached now, which it finds deficient.
    public func requestedMaterials(_ ids: [String], on itemID: String, attached: AttachedMaterials) throws(FieldProblem) -> [RequestedMaterial] {
        guard let item = item(itemID) else { return [] }
        var requested: [RequestedMaterial] = []
        for id in ids where !requested.contains(where: { $0.requirement == id }) {
            guard item.definition.requirements.contains(where: { $0.id == id }) else {
                throw FieldProblem(field: "suspension.requirements",
                                   detail: "item '\(itemID)' requires no '\(id)'; it requires: \(item.definition.requirements.map(\.id).joined(separator: ", "))")
            }
            requested.append(RequestedMaterial(requirement: id, deficient: attached[id]))
        }
        return requested
    }
}
