import ApprovalCore
import Crypto
import Foundation
import Logging
import PostgresNIO

/// The tamper-evident audit trail (数据修改留痕、防止恶意篡改): each project's events form a chain in which every
/// event's hash is SHA-256 over the previous event's hash and the event's canonical encoding. Editing, deleting
/// or reordering any event breaks the chain from that event on; the project row keeps the head, so dropping the
/// latest event is noticed too.
public enum AuditChain {
    /// The hash before a project's first event.
    public static let genesis = Data(repeating: 0, count: 32)

    /// Everything an event says, in the form that is hashed: the canonical JSON of an object with these eight
    /// keys. `at` counts whole milliseconds so the value survives PostgreSQL's microsecond timestamps unchanged.
    public static func canonicalEncoding(projectID: Int64, seq: Int, atMilliseconds: Int64, onDate: String, kind: String,
                                         itemID: String?, actorID: Int64, payload: JSONValue) -> [UInt8] {
        canonicalEncoding(projectID: projectID, seq: seq, atMilliseconds: atMilliseconds, onDate: onDate, kind: kind, itemID: itemID,
                          actorID: actorID, canonicalPayload: payload.canonicalBytes)
    }

    /// The same, for a payload already in canonical form (the generator writes those bytes to the table too).
    /// The keys are written in the canonical (sorted) order by hand, which `JSONValue.object` would otherwise
    /// sort for every event.
    public static func canonicalEncoding(projectID: Int64, seq: Int, atMilliseconds: Int64, onDate: String, kind: String,
                                         itemID: String?, actorID: Int64, canonicalPayload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        writeCanonicalHead(actorID: actorID, atMilliseconds: atMilliseconds, into: &out)
        out.append(contentsOf: canonicalMiddle(onDate: onDate, kind: kind, itemID: itemID, canonicalPayload: canonicalPayload))
        writeCanonicalTail(projectID: projectID, seq: seq, into: &out)
        return out
    }

    /// The canonical text is head (`actor`, `at`), middle (`item`, `kind`, `on`, `payload`) and tail (`project`,
    /// `seq`), the keys in sorted order. The middle says what happened and when, not to which project: the
    /// generator writes it once for every project that shares a history.
    package static func writeCanonicalHead(actorID: Int64, atMilliseconds: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"actor":"#.utf8)
        JSONValue.writeDecimal(actorID, into: &out)
        out.append(contentsOf: #","at":"#.utf8)
        JSONValue.writeDecimal(atMilliseconds, into: &out)
    }

    package static func canonicalMiddle(onDate: String, kind: String, itemID: String?, canonicalPayload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(canonicalPayload.count + 80)
        out.append(contentsOf: #","item":"#.utf8)
        if let itemID { JSONValue.writeString(itemID, into: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","kind":"#.utf8)
        JSONValue.writeString(kind, into: &out)
        out.append(contentsOf: #","on":"#.utf8)
        JSONValue.writeString(onDate, into: &out)
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(contentsOf: canonicalPayload)
        return out
    }

    package static func writeCanonicalTail(projectID: Int64, seq: Int, into out: inout [UInt8]) {
        out.append(contentsOf: #","project":"#.utf8)
        JSONValue.writeDecimal(projectID, into: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        JSONValue.writeDecimal(Int64(seq), into: &out)
        out.append(UInt8(ascii: "}"))
    }

    public static func hash(previous: Data, canonical: [UInt8]) -> Data {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonical)
        return Data(hasher.finalize())
    }

    /// The hash of an event whose canonical text is `head`, `middle` and `tail` (see `writeCanonicalHead`), without
    /// joining them first.
    package static func hash(previous: Data, head: [UInt8], middle: [UInt8], tail: [UInt8]) -> Data {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: head)
        hasher.update(data: middle)
        hasher.update(data: tail)
        return Data(hasher.finalize())
    }

    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// A project whose chain does not hold, and the first event where it breaks.
    public struct BrokenLink: Sendable, Hashable, CustomStringConvertible {
        public let projectCode: String
        public let seq: Int
        public let problem: String
        public var description: String { "\(projectCode): event \(seq): \(problem)" }
    }

    public struct Report: Sendable {
        public var projects = 0
        public var events = 0
        public var broken: [BrokenLink] = []
    }

    /// Recomputes every chain, project by project, and reports the first broken link of each.
    public static func verify(_ database: Database) async throws -> Report {
        var report = Report()
        let projects = try await database.read { connection in
            var rows: [(Int64, String, Int, Data)] = []
            for try await row in try await connection.query("SELECT id, code, last_seq, last_hash FROM projects ORDER BY id", logger: database.logger)
                .decode((Int64, String, Int, Data).self) {
                rows.append(row)
            }
            return rows
        }
        for (projectID, code, lastSeq, lastHash) in projects {
            report.projects += 1
            let (count, broken) = try await database.read { connection in
                try await verifyProject(connection, projectID: projectID, code: code, lastSeq: lastSeq, lastHash: lastHash, logger: database.logger)
            }
            report.events += count
            if let broken { report.broken.append(broken) }
        }
        return report
    }

    static func verifyProject(_ connection: PostgresConnection, projectID: Int64, code: String, lastSeq: Int, lastHash: Data,
                              logger: Logger) async throws -> (Int, BrokenLink?) {
        var previous = genesis
        var expectedSeq = 1
        var count = 0
        let rows = try await connection.query("""
            SELECT seq, at, on_date::text, kind, item_id, actor_id, payload, prev_hash, hash
            FROM events WHERE project_id = \(projectID) ORDER BY seq
            """, logger: logger)
        for try await (seq, at, onDate, kind, itemID, actorID, payload, prevHash, hash)
            in rows.decode((Int, Date, String, String, String?, Int64, JSONValue, Data, Data).self) {
            count += 1
            guard seq == expectedSeq else {
                return (count, BrokenLink(projectCode: code, seq: expectedSeq, problem: "missing (the next event is \(seq))"))
            }
            guard prevHash == previous else {
                return (count, BrokenLink(projectCode: code, seq: seq, problem: "does not link to the event before it"))
            }
            let canonical = canonicalEncoding(projectID: projectID, seq: seq, atMilliseconds: milliseconds(at), onDate: onDate,
                                              kind: kind, itemID: itemID, actorID: actorID, payload: payload)
            let recomputed = Self.hash(previous: previous, canonical: canonical)
            guard recomputed == hash else {
                return (count, BrokenLink(projectCode: code, seq: seq, problem: "its content does not match its hash (edited after it was written)"))
            }
            previous = hash
            expectedSeq += 1
        }
        if expectedSeq - 1 != lastSeq || previous != lastHash {
            return (count, BrokenLink(projectCode: code, seq: expectedSeq - 1,
                                      problem: "the chain ends at event \(expectedSeq - 1) but the project records \(lastSeq) events (events removed)"))
        }
        return (count, nil)
    }
}
