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
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    init(_ table: String, _ columns: [String]) {
        self.table = table
        self.columns = columns
    }

    mutating func append(_ fields: Field?...) {
        precondition(fields.count == columns.count, "\(table): \(fields.count) fields for \(columns.count) columns")
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(0x09) }
            switch field ?? .null {
            case let .text(value): Self.escape(value, into: &bytes)
            case let .int(value): bytes.append(contentsOf: String(value).utf8)
            case let .bool(value): bytes.append(value ? 0x74 : 0x66)
            case let .date(value): bytes.append(contentsOf: value.description.utf8)
            case let .timestamp(milliseconds): bytes.append(contentsOf: Self.utcTimestamp(milliseconds).utf8)
            case let .bytea(value): bytes.append(contentsOf: "\\\\x".utf8); Self.hex(value, into: &bytes)
            case let .json(value): Self.escape(value.canonicalText, into: &bytes)
            case let .textArray(values): bytes.append(contentsOf: "{\(values.joined(separator: ","))}".utf8)
            case .null: bytes.append(contentsOf: "\\N".utf8)
            }
        }
        bytes.append(0x0A)
        count += 1
    }

    func copy(on connection: PostgresConnection, logger: Logger) async throws {
        guard count > 0 else { return }
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            try await writer.write(ByteBuffer(bytes: bytes))
        }
    }

    private static func escape(_ value: String, into bytes: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            default: bytes.append(byte)
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func hex(_ data: Data, into bytes: inout [UInt8]) {
        for byte in data {
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0F)])
        }
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
