/// A body that decides items: a government department (审批部门) or a utility taking connection applications
/// (市政公用服务报装: water, power, gas, telecoms).
public struct Department: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case government
        case utility
    }

    public let id: String
    public let name: String
    public let shortName: String
    public let kind: Kind

    /// Parses `departments.yaml`, reporting duplicate ids and unknown kinds with their lines.
    static func parseAll(_ text: String, reader: YAMLReader) -> [String: Department] {
        guard let root = reader.compose(text),
              let top = reader.fields(root, of: "the departments file", required: ["departments"])
        else { return [:] }
        var departments: [String: Department] = [:]
        for node in reader.sequence(top, "departments", in: "the departments file") ?? [] {
            guard let fields = reader.fields(node, of: "a department", required: ["id", "name", "short_name", "kind"]),
                  let id = reader.identifier(fields, "id", in: "a department")
            else { continue }
            let what = "department '\(id)'"
            let name = reader.string(fields, "name", in: what)
            let shortName = reader.string(fields, "short_name", in: what)
            let kindText = reader.string(fields, "kind", in: what)
            let kind = kindText.flatMap(Kind.init(rawValue:))
            if let kindText, kind == nil {
                reader.report("\(what) has kind '\(kindText)'; expected one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))", at: fields["kind"])
            }
            if departments[id] != nil {
                reader.report("duplicate department id '\(id)'", at: fields["id"])
                continue
            }
            guard let name, let shortName, let kind else { continue }
            departments[id] = Department(id: id, name: name, shortName: shortName, kind: kind)
        }
        return departments
    }
}
