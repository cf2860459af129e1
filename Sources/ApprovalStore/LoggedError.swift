import PostgresNIO

/// An error as a log line may show it: what failed and where, never the values a query carried. PostgresNIO's
/// own debug description prints a failed query's bind values (a token digest, a name, a phone number), and the
/// server's message and detail quote them too ("value \"…\" is out of range", "Key (code)=(…)"); operators get
/// the statement, the SQLSTATE and the constraint, table and column it names instead.
public enum LoggedError {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            var text = "PSQLError(\(error.code)"
            if let state = error.serverInfo?[.sqlState] { text += ", SQLSTATE \(state)" }
            if let constraint = error.serverInfo?[.constraintName] { text += ", constraint \(constraint)" }
            if let table = error.serverInfo?[.tableName] { text += ", table \(table)" }
            if let column = error.serverInfo?[.columnName] { text += ", column \(column)" }
            if let query = error.query { text += ", query: \(query.sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))" }
            return text + ")"
        case let error as PostgresDecodingError:
            return "PostgresDecodingError(\(error.code), column \(error.columnName) as \(error.targetType), \(error.file):\(error.line))"
        default:
            return String(reflecting: error)
        }
    }
}
