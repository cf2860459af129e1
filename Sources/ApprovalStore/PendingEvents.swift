import ApprovalCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Events appended to projects' chains in this transaction and not yet written. Appending moves the record's
/// head at once (its seq and hash), so later events chain on; `write` then inserts every event and its
/// notifications in two statements, whatever their number. An API change writes its one or two events this
/// way; the sweeper writes a whole batch's, so its round trips do not grow with the projects it decides.
public struct PendingEvents: Sendable {
    struct Row: Sendable {
        let projectID: Int64
        let seq: Int
        let at: Date
        let on: String
        let kind: String
        let itemID: String?
        let actorID: Int64
        let payload: String
        let previousHash: Data
        let hash: Data
    }

    private var rows: [Row] = []
    private var notices: [NotificationOutbox.Notice] = []

    public init() {}

    public var isEmpty: Bool { rows.isEmpty }

    public mutating func append(_ event: NewEvent, to record: inout ProjectRecord) {
        let seq = record.lastSeq + 1
        let milliseconds = AuditChain.milliseconds(event.at)
        let payload = JSONValue.object(event.payload).canonicalBytes
        let on = event.on.description
        let canonical = AuditChain.canonicalEncoding(projectID: record.id, seq: seq, atMilliseconds: milliseconds, onDate: on,
                                                     kind: event.kind.text, itemID: event.itemID, actorID: event.actorID,
                                                     canonicalPayload: payload)
        let hash = AuditChain.hash(previous: record.lastHash, canonical: canonical)
        rows.append(Row(projectID: record.id, seq: seq, at: Date(timeIntervalSince1970: Double(milliseconds) / 1000), on: on,
                        kind: event.kind.text, itemID: event.itemID, actorID: event.actorID,
                        payload: String(decoding: payload, as: UTF8.self), previousHash: record.lastHash, hash: hash))
        record.lastSeq = seq
        record.lastHash = hash
        // Every event passes through here, so this is also where the notifications it causes are decided.
        if let notice = NotificationOutbox.Notice(event, seq: seq, of: record) { notices.append(notice) }
    }

    /// Inserts the events in the order they were appended, then their notifications; nothing is left pending.
    public mutating func write(on connection: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        // Arrays cannot hold NULL here, so a missing item is '' and turned back into NULL.
        try await connection.query("""
            INSERT INTO events (project_id, seq, at, on_date, kind, item_id, actor_id, payload, prev_hash, hash)
            SELECT project_id, seq, at, on_date::date, kind, NULLIF(item_id, ''), actor_id, payload::jsonb, prev_hash, hash
            FROM unnest(\(rows.map(\.projectID)), \(rows.map(\.seq)), \(rows.map(\.at)), \(rows.map(\.on)), \(rows.map(\.kind)),
                        \(rows.map { $0.itemID ?? "" }), \(rows.map(\.actorID)), \(rows.map(\.payload)),
                        \(rows.map { ByteBuffer(bytes: $0.previousHash) }), \(rows.map { ByteBuffer(bytes: $0.hash) }))
                AS event(project_id, seq, at, on_date, kind, item_id, actor_id, payload, prev_hash, hash)
            """, logger: logger)
        try await NotificationOutbox.write(notices, on: connection, logger: logger)
        rows = []
        notices = []
    }
}
