import ApprovalStore
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
        /// Canonical JSON text (`JSONValue.canonicalBytes`).
        case json([UInt8])
        case textArray([String])
        case null
        /// A field already in COPY's text form (`encoded(_:)`), for a value written in two rows.
        case encoded([UInt8])
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
            Self.write(field ?? .null, into: &bytes)
        }
        bytes.append(0x0A)
        count += 1
    }

    /// A row of leading fields, then fields encoded once by `fields` for many rows, then trailing fields.
    mutating func append(_ leading: Field..., shared: [UInt8], then trailing: Field...) {
        precondition(leading.count + trailing.count < columns.count, "\(table): a shared part and \(leading.count + trailing.count) fields")
        for (index, field) in leading.enumerated() {
            if index > 0 { bytes.append(0x09) }
            Self.write(field, into: &bytes)
        }
        bytes.append(contentsOf: shared)
        for field in trailing {
            bytes.append(0x09)
            Self.write(field, into: &bytes)
        }
        bytes.append(0x0A)
        count += 1
    }

    /// Fields from the middle or the end of a row, each after its separator, for `append(_:shared:then:)`.
    static func fields(_ fields: Field?...) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            bytes.append(0x09)
            write(field ?? .null, into: &bytes)
        }
        return bytes
    }

    private static func write(_ field: Field, into bytes: inout [UInt8]) {
        switch field {
        case let .text(value): escape(value.utf8, into: &bytes)
        case let .int(value): JSONValue.writeDecimal(value, into: &bytes)
        case let .bool(value): bytes.append(value ? 0x74 : 0x66)
        case let .date(value): writeDate(value, into: &bytes)
        case let .timestamp(milliseconds): writeUTCTimestamp(milliseconds, into: &bytes)
        case let .bytea(value): bytes.append(contentsOf: "\\\\x".utf8); hex(value, into: &bytes)
        case let .json(value): escape(value, into: &bytes)
        case let .textArray(values): bytes.append(contentsOf: "{\(values.joined(separator: ","))}".utf8)
        case .null: bytes.append(contentsOf: "\\N".utf8)
        case let .encoded(value): bytes.append(contentsOf: value)
        }
    }

    static func encoded(_ field: Field) -> [UInt8] {
        var bytes: [UInt8] = []
        write(field, into: &bytes)
        return bytes
    }

    /// Field bytes with COPY's escapes; most fields need none and are appended whole.
    private static func escape(_ value: some Collection<UInt8>, into bytes: inout [UInt8]) {
        guard value.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
            bytes.append(contentsOf: value)
            return
        }
        for byte in value {
            switch byte {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            default: bytes.append(byte)
            }
        }
    }

    /// Hex digits written into room made up front: per-byte appends were a tenth of the generator's own time.
    private static func hex(_ data: Data, into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: data.count * 2))
        bytes.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBytes { raw in
                var index = start
                for byte in raw {
                    out[index] = hexDigit(byte >> 4)
                    out[index + 1] = hexDigit(byte & 0x0F)
                    index += 2
                }
            }
        }
    }

    @inline(__always) private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }

    /// `n` in at least `width` digits, zero-padded.
    private static func writePadded(_ n: Int, width: Int, into bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        if n >= divisor * 10 { JSONValue.writeDecimal(Int64(n), into: &bytes); return }
        var rest = n
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// YYYY-MM-DD, as `CivilDate.description` spells it.
    private static func writeDate(_ date: CivilDate, into bytes: inout [UInt8]) {
        let (year, month, day) = date.components
        writePadded(year, width: 4, into: &bytes)
        bytes.append(UInt8(ascii: "-"))
        writePadded(month, width: 2, into: &bytes)
        bytes.append(UInt8(ascii: "-"))
        writePadded(day, width: 2, into: &bytes)
    }

    private static func writeUTCTimestamp(_ milliseconds: Int64, into bytes: inout [UInt8]) {
        let day = Int(milliseconds.quotientFloor(86_400_000))
        let within = Int(milliseconds - Int64(day) * 86_400_000)
        writeDate(CivilDate(dayNumber: day), into: &bytes)
        bytes.append(UInt8(ascii: " "))
        writePadded(within / 3_600_000, width: 2, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        writePadded(within / 60_000 % 60, width: 2, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        writePadded(within / 1000 % 60, width: 2, into: &bytes)
        bytes.append(UInt8(ascii: "."))
        writePadded(within % 1000, width: 3, into: &bytes)
        bytes.append(contentsOf: "+00".utf8)
    }
}

private extension Int64 {
    func quotientFloor(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && self < 0) ? quotient - 1 : quotient
    }
}
