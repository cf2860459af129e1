import ApprovalCore
import Foundation
import Logging
import PostgresNIO

/// Rows for one table in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes), the
/// fastest way to load the generator's millions of rows.
struct CopyRows {
    enum Field {
        case text(String)
        case int(Int64)
        case bool(Bool)
        case date(CivilDate)
        /// Milliseconds since 1970, written as a UTC timestamp.
        case timestamp(Int64)
        case bytea(Data)
        case json(JSONValue)
        case textArray([String])
        case null
    }

    let table: String
    let columns: [String]
    private(set) var text = ""
    private(set) var count = 0

    init(_ table: String, _ columns: [String]) {
        self.table = table
        self.columns = columns
    }

    mutating func append(_ fields: Field?...) {
        precondition(fields.count == columns.count, "\(table): \(fields.count) fields for \(columns.count) columns")
        for (index, field) in fields.enumerated() {
            if index > 0 { text.append("\t") }
            switch field ?? .null {
            case let .text(value): Self.escape(value, into: &text)
            case let .int(value): text.append(String(value))
            case let .bool(value): text.append(value ? "t" : "f")
            case let .date(value): text.append(value.description)
            case let .timestamp(milliseconds): text.append(Self.utcTimestamp(milliseconds))
            case let .bytea(value): text.append("\\\\x"); Self.hex(value, into: &text)
            case let .json(value): Self.escape(value.canonicalText, into: &text)
            case let .textArray(values): text.append("{\(values.joined(separator: ","))}")
            case .null: text.append("\\N")
            }
        }
        text.append("\n")
        count += 1
    }

    func copy(on connection: PostgresConnection, logger: Logger) async throws {
        guard count > 0 else { return }
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            try await writer.write(ByteBuffer(string: text))
        }
    }

    private static func escape(_ value: String, into text: inout String) {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
            text.append(value)
            return
        }
        for character in value.unicodeScalars {
            switch character {
            case "\\": text.append("\\\\")
            case "\t": text.append("\\t")
            case "\n": text.append("\\n")
            case "\r": text.append("\\r")
            default: text.unicodeScalars.append(character)
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    private static func hex(_ bytes: Data, into text: inout String) {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            scalars.append(hexDigits[Int(byte >> 4)])
            scalars.append(hexDigits[Int(byte & 0x0F)])
        }
        text.unicodeScalars.append(contentsOf: scalars)
    }

    private static func utcTimestamp(_ milliseconds: Int64) -> String {
        let day = Int(milliseconds.quotientFloor(86_400_000))
        let within = Int(milliseconds - Int64(day) * 86_400_000)
        let hours = within / 3_600_000, minutes = within / 60_000 % 60, seconds = within / 1000 % 60, millis = within % 1000
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(CivilDate(dayNumber: day)) \(two(hours)):\(two(minutes)):\(two(seconds)).\(fraction)+00"
    }
}

private extension Int64 {
    func quotientFloor(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && self < 0) ? quotient - 1 : quotient
    }
}
