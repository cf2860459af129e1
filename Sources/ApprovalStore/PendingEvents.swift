import ApprovalCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Events appended to projects' chains and not yet written. Appending moves the record's head at once (its seq
/// and hash), so later events chain on; `ProjectWrite` then inserts every event and its notifications with the
/// projects' rows, whatever their number: an API change's one or two, or a sweeper batch's.
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

    private(set) var rows: [Row] = []
    private(set) var notices: [NotificationOutbox.Notice] = []

    public init() {}

    public var isEmpty: Bool { rows.isEmpty }

    public mutating func append(_ event: NewEvent, to record: inout ProjectRecord) {
        let seq = record.lastSeq + 1
        let milliseconds = AuditChain.milliseconds(event.at)
        let fields = event.event.payload
        let payload = JSONValue.object(fields).canonicalBytes
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
        if let notice = NotificationOutbox.Notice(event, payload: fields, seq: seq, of: record) { notices.append(notice) }
    }
}
