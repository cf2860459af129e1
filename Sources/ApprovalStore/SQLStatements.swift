import Foundation

/// Splits a migration file into its statements. PostgresNIO speaks only the extended query protocol, which
/// runs one statement per message, so a file of several statements is sent one by one (in one transaction).
/// Semicolons inside quotes, dollar-quoted bodies and comments do not split.
enum SQLStatements {
    static func split(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(sql)
        var index = 0
        func peek(_ offset: Int) -> Character? { index + offset < characters.count ? characters[index + offset] : nil }

        while index < characters.count {
            let character = characters[index]
            switch character {
            case "-" where peek(1) == "-":
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            case "/" where peek(1) == "*":
                index += 2
                while index < characters.count, !(characters[index] == "*" && peek(1) == "/") { index += 1 }
                index += 2
                continue
            case "'", "\"":
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == character {
                        // A doubled quote is an escaped quote, not the end.
                        if peek(1) == character { index += 1; current.append(characters[index]) } else { break }
                    }
                    index += 1
                }
            case "$":
                // $tag$ … $tag$
                var end = index + 1
                while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { end += 1 }
                if end < characters.count, characters[end] == "$", !(index > 0 && characters[index - 1].isLetter) {
                    let tag = String(characters[index...end])
                    current += tag
                    index = end + 1
                    let rest = String(characters[index...])
                    if let close = rest.range(of: tag) {
                        current += rest[..<close.upperBound]
                        index += rest.distance(from: rest.startIndex, to: close.upperBound)
                    } else {
                        current += rest
                        index = characters.count
                    }
                    continue
                }
                current.append(character)
            case ";":
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
            default:
                current.append(character)
            }
            index += 1
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { statements.append(last) }
        return statements
    }
}
