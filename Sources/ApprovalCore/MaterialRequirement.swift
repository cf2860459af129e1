import Yams

/// A reusable type of document (可复用材料类型): one an investor holds (营业执照, 不动产权证书) or one an earlier
/// item issues (规划条件, 环评批复). Declared once in `materials.yaml`; items require and produce them by id, so a
/// document uploaded or issued once serves every item that needs its kind.
public struct MaterialKind: Sendable, Hashable {
    public let id: String
    public let name: String
}

/// One material an item's application requires (申请材料).
public struct MaterialRequirement: Sendable, Hashable {
    public let id: String
    public let name: String
    /// 核心材料: without it there is no acceptance. A non-core one may be committed under 容缺 and supplied later.
    public let core: Bool
    /// The reusable kind it is, when it is one: then a document of that kind already in the investor's library
    /// (uploaded, or issued by an earlier item) satisfies it.
    public let kind: String?
}

extension MaterialKind {
    /// Parses `materials.yaml`: `kinds:` with each kind's id and name.
    static func parseAll(_ text: String, reader: YAMLReader) -> [String: MaterialKind] {
        guard let root = reader.compose(text),
              let top = reader.fields(root, of: "the materials file", required: ["kinds"])
        else { return [:] }
        var kinds: [String: MaterialKind] = [:]
        for node in reader.sequence(top, "kinds", in: "the materials file") ?? [] {
            guard let fields = reader.fields(node, of: "a material kind", required: ["id", "name"]),
                  let id = reader.identifier(fields, "id", in: "a material kind")
            else { continue }
            guard kinds[id] == nil else {
                reader.report("duplicate material kind '\(id)'", at: fields["id"])
                continue
            }
            guard let name = reader.string(fields, "name", in: "material kind '\(id)'") else { continue }
            kinds[id] = MaterialKind(id: id, name: name)
        }
        return kinds
    }
}

extension MaterialRequirement {
    /// The most materials one item may require: real lists have a handful.
    static let maximumPerItem = 50

    /// Parses an item's `requires:` and `produces:`, reporting unknown kinds, repeated ids, and a 容缺 item with
    /// nothing it could commit to.
    static func parse(_ fields: Fields, of what: String, allowsDeficiency: Bool, kinds: [String: MaterialKind],
                      reader: YAMLReader) -> (requirements: [MaterialRequirement], produces: String?) {
        var requirements: [MaterialRequirement] = []
        let nodes = reader.sequence(fields, "requires", in: what) ?? []
        if nodes.count > maximumPerItem {
            reader.report("\(what) requires \(nodes.count) materials; at most \(maximumPerItem)", at: fields["requires"])
        }
        for node in nodes.prefix(maximumPerItem) {
            guard let entry = reader.fields(node, of: "a material of \(what)", required: ["id", "name", "core"], optional: ["kind"]),
                  let id = reader.identifier(entry, "id", in: "a material of \(what)")
            else { continue }
            let material = "material '\(id)' of \(what)"
            guard !requirements.contains(where: { $0.id == id }) else {
                reader.report("\(what) requires '\(id)' twice", at: entry["id"])
                continue
            }
            let name = reader.string(entry, "name", in: material)
            let core = reader.boolean(entry, "core", in: material)
            let kind = known(entry, "kind", in: material, kinds: kinds, reader: reader)
            guard let name, let core else { continue }
            requirements.append(MaterialRequirement(id: id, name: name, core: core, kind: kind))
        }
        if allowsDeficiency, fields["requires"] != nil, !requirements.contains(where: { !$0.core }) {
            reader.report("\(what) allows deficiency acceptance (容缺) but requires only core materials; mark the ones that may follow later core: false",
                          at: fields["requires"])
        }
        return (requirements, known(fields, "produces", in: what, kinds: kinds, reader: reader))
    }

    private static func known(_ fields: Fields, _ key: String, in what: String, kinds: [String: MaterialKind],
                              reader: YAMLReader) -> String? {
        guard fields[key] != nil, let id = reader.string(fields, key, in: what) else { return nil }
        guard kinds[id] != nil else {
            reader.report("\(what) names unknown material kind '\(id)' (not in materials.yaml)", at: fields[key])
            return nil
        }
        return id
    }
}

/// Why a material may not be attached to, or detached from, an item's requirement now.
public enum AttachmentRefusal: Error, Sendable, Hashable {
    /// The item or requirement is not one of the project's (404 naming the path parameter).
    case unknown(FieldProblem)
    /// The item is past the point where its application can change (409 naming its state).
    case closed(item: String, state: ItemState)
    /// The item was accepted: only what a supplement request or a 容缺 commitment asks for may change (409).
    case notAskedFor(item: String, requirement: String, askedFor: [String])
}

extension Project {
    /// The states in which any of an application's materials may change: before it is accepted.
    static let openForMaterials: Set<ItemState> = [.blocked, .ready, .submitted]

    /// The requirement `requirementID` of item `itemID`, if materials may be attached to it (or detached) now: any
    /// before the item is accepted; after, only what the window asked for — the requirements a supplement request
    /// (补正) named while it stands, or those a 容缺 commitment covers until it is fulfilled — so what was accepted
    /// stays as it was.
    public func requirement(_ requirementID: String, ofItem itemID: String) throws(AttachmentRefusal) -> MaterialRequirement {
        guard let item = item(itemID) else {
            throw .unknown(FieldProblem(field: "item", detail: "'\(itemID)' is not an item of this project"))
        }
        guard let requirement = item.definition.requirements.first(where: { $0.id == requirementID }) else {
            throw .unknown(FieldProblem(field: "requirement",
                                        detail: "item '\(itemID)' requires no '\(requirementID)'; it requires: \(item.definition.requirements.map(\.id).joined(separator: ", "))"))
        }
        if Self.openForMaterials.contains(item.state) { return requirement }
        var askedFor: [String]?
        if item.state == .suspended, case let .supplement(_, requested)? = item.stops.last?.reason {
            // A request in words only names nothing of the list: then the whole application is open to it.
            askedFor = requested.isEmpty ? item.definition.requirements.map(\.id) : requested.map(\.requirement)
        }
        // A commitment outlives the decision (an item may be approved, or deemed approved, before it is kept), and is
        // kept by attaching what it named.
        if let commitment = item.commitment, commitment.fulfilledOn == nil, ![.withdrawn, .rejected].contains(item.state) {
            askedFor = (askedFor ?? []) + (commitment.requirements.isEmpty
                ? item.definition.requirements.filter { !$0.core }.map(\.id) : commitment.requirements)
        }
        guard let askedFor else { throw .closed(item: itemID, state: item.state) }
        guard askedFor.contains(requirementID) else {
            throw .notAskedFor(item: itemID, requirement: requirementID, askedFor: askedFor)
        }
        return requirement
    }
}
