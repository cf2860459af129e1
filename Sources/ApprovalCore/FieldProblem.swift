/// What is wrong with one field of a request the domain refused, named as the request names it
/// (`attendance[1].promisedDays[0].item`): the server answers a list of these as a 422.
public struct FieldProblem: Error, Sendable, Hashable, Codable {
    public let field: String
    public let detail: String

    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }
}
