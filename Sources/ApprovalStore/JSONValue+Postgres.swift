import ApprovalCore
import NIOCore
import PostgresNIO

/// Stored as `jsonb`. Read with `JSONText.parse` rather than Foundation's JSONDecoder: decoding an enum of any
/// JSON through Codable probes each case by throwing, and every read replays a project's event payloads.
extension JSONValue: PostgresEncodable, PostgresDecodable {
    public init<Decoder: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                              context: PostgresDecodingContext<Decoder>) throws {
        // Binary jsonb starts with its format version, 1; json and text formats are the text itself.
        if type == .jsonb, format == .binary {
            guard buffer.readInteger(as: UInt8.self) == 1 else { throw PostgresDecodingError.Code.failure }
        }
        let parsed = buffer.readableBytesView.withContiguousStorageIfAvailable { JSONText.parse($0) } ?? JSONText.parse(Array(buffer.readableBytesView)[...])
        guard let parsed else { throw PostgresDecodingError.Code.failure }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        self = parsed
    }
}
