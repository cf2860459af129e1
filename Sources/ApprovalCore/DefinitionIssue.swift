/// One problem in a definition file, located so a workflow author can jump to it: `file:line:column: message`.
public struct DefinitionIssue: Error, Sendable, Hashable, CustomStringConvertible, Codable {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Every problem found in a set of definition files: loading refuses the whole set when any is present, so a
/// half-valid catalog never reaches a running server.
public struct DefinitionErrors: Error, Sendable, CustomStringConvertible {
    public let issues: [DefinitionIssue]

    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
