import Crypto
import Foundation
import Logging
import PostgresNIO

/// Evidence of the audit trail kept outside the database (issue 23): whoever can write to the database can
/// rewrite a chain's tail together with the head on the project row, or delete a project with its events, and the
/// chain alone would still hold. A checkpoint records every project's chain head and length, Merkle-hashes them to
/// one root, signs the root with an Ed25519 key the database never sees, and appends a line to a log kept
/// elsewhere (another machine, write-once storage). `verify` then finds any chain that no longer passes through
/// the head it had when checkpointed.
///
/// The log is one JSON object per line. A line carries only the heads that changed since the line before it (the
/// first carries all), so a daily checkpoint of a province adds the day's changes, not a million heads; its root
/// is over all heads as they stand after the line, so dropping or editing a line breaks the roots after it.
public enum AuditCheckpoint {
    /// One project's chain as checkpointed: its project id, its number of events and the hash of the last.
    public struct Head: Sendable, Hashable {
        public let projectID: Int64
        public let count: Int
        public let hash: Data

        public init(projectID: Int64, count: Int, hash: Data) {
            self.projectID = projectID
            self.count = count
            self.hash = hash
        }
    }

    /// One line of the log.
    public struct Line: Sendable, Codable, Hashable {
        public var at: String
        public var projects: Int
        public var events: Int
        public var root: String
        /// The changed heads, packed (8-byte id, 4-byte count, 32-byte hash each, big-endian), in base64.
        public var heads: String
        public var signature: String

        /// What the signature covers: everything else in the line.
        var signedText: Data {
            let headsDigest = SHA256.hash(data: Data(base64Encoded: heads) ?? Data()).hexString
            return Data("approvals-checkpoint-v1\n\(at)\n\(projects)\n\(events)\n\(root)\n\(headsDigest)\n".utf8)
        }
    }

    public struct CheckpointError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    // MARK: Keys

    /// A new signing key, as the text kept in the key file (hex of the 32-byte private key).
    public static func newKey() -> (privateKey: String, publicKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (key.rawRepresentation.hexString, key.publicKey.rawRepresentation.hexString)
    }

    public static func privateKey(_ text: String) throws(CheckpointError) -> Curve25519.Signing.PrivateKey {
        guard let bytes = bytes(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else {
            throw CheckpointError(message: "the key file must hold a 32-byte Ed25519 private key in hex (approvals audit keygen writes one)")
        }
        return key
    }

    public static func publicKey(_ text: String) throws(CheckpointError) -> Curve25519.Signing.PublicKey {
        guard let bytes = bytes(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            throw CheckpointError(message: "the public key must be 32 bytes of Ed25519 in hex (approvals audit keygen prints it)")
        }
        return key
    }

    // MARK: The log

    /// Reads the log's lines, checks each signature and each root, and returns the heads as the last line left
    /// them, with the line each head was last recorded by.
    public static func replayLog(_ text: String, publicKey: Curve25519.Signing.PublicKey) throws(CheckpointError)
        -> (heads: [Int64: Head], recordedAt: [Int64: String], lines: Int) {
        var heads: [Int64: Head] = [:], recordedAt: [Int64: String] = [:]
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            number += 1
            guard let line = try? JSONDecoder().decode(Line.self, from: Data(raw.utf8)) else {
                throw CheckpointError(message: "checkpoint log line \(number) is not a checkpoint")
            }
            guard let signature = Data(base64Encoded: line.signature), publicKey.isValidSignature(signature, for: line.signedText) else {
                throw CheckpointError(message: "checkpoint log line \(number) (\(line.at)): the signature does not verify with this public key; the line was altered or signed by another key")
            }
            guard let changed = unpack(line.heads) else {
                throw CheckpointError(message: "checkpoint log line \(number) (\(line.at)): its heads do not unpack")
            }
            for head in changed {
                heads[head.projectID] = head
                recordedAt[head.projectID] = line.at
            }
            guard root(of: heads).hexString == line.root, heads.count == line.projects else {
                throw CheckpointError(message: "checkpoint log line \(number) (\(line.at)): the heads recorded so far do not give its signed root; a line before it was removed or altered")
            }
        }
        return (heads, recordedAt, number)
    }

    /// The heads as the database has them now.
    public static func currentHeads(_ database: Database) async throws -> [Int64: Head] {
        try await database.read { connection in
            var heads: [Int64: Head] = [:]
            for try await (id, count, hash) in try await connection.query("SELECT id, last_seq, last_hash FROM projects", logger: database.logger)
                .decode((Int64, Int, Data).self) {
                heads[id] = Head(projectID: id, count: count, hash: hash)
            }
            return heads
        }
    }

    /// A new line for the log: the heads that changed since `previous`, signed. Refuses when a project the log
    /// knows has gone from the database or has fewer events than checkpointed: that is tampering to report
    /// (`audit verify --checkpoints`), not a state to sign.
    public static func makeLine(current: [Int64: Head], previous: [Int64: Head], at: Date,
                                key: Curve25519.Signing.PrivateKey) throws -> Line {
        for (id, old) in previous.sorted(by: { $0.key < $1.key }) {
            guard let now = current[id], now.count >= old.count else {
                throw CheckpointError(message: "project \(id) was checkpointed with \(old.count) events and now has \(current[id].map { "\($0.count)" } ?? "none (deleted)"); run approvals audit verify --checkpoints")
            }
        }
        let changed = current.values.filter { previous[$0.projectID] != $0 }.sorted { $0.projectID < $1.projectID }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var line = Line(at: formatter.string(from: at), projects: current.count, events: current.values.reduce(0) { $0 + $1.count },
                        root: root(of: current).hexString, heads: pack(changed).base64EncodedString(), signature: "")
        line.signature = try key.signature(for: line.signedText).base64EncodedString()
        return line
    }

    /// Every checkpointed head the database no longer has: a chain rewritten before it (re-hashed or not), events
    /// removed, or a project deleted. Reads each head's event by primary key, in batches.
    public static func differences(from heads: [Int64: Head], recordedAt: [Int64: String], in database: Database) async throws -> [AuditChain.BrokenLink] {
        var broken: [AuditChain.BrokenLink] = []
        let ordered = heads.values.sorted { $0.projectID < $1.projectID }
        for start in stride(from: 0, to: ordered.count, by: 5_000) {
            let batch = Array(ordered[start..<min(start + 5_000, ordered.count)])
            let found = try await database.read { connection in
                var found: [Int64: (code: String, hash: Data?)] = [:]
                for try await (id, code, hash) in try await connection.query("""
                    SELECT p.id, p.code, e.hash
                    FROM unnest(\(batch.map(\.projectID))::bigint[], \(batch.map(\.count))::int[]) AS c(project_id, seq)
                    JOIN projects p ON p.id = c.project_id
                    LEFT JOIN events e ON e.project_id = c.project_id AND e.seq = c.seq
                    """, logger: database.logger).decode((Int64, String, Data?).self) {
                    found[id] = (code, hash)
                }
                return found
            }
            for head in batch {
                let when = recordedAt[head.projectID] ?? "?"
                guard let row = found[head.projectID] else {
                    broken.append(.init(projectCode: "project id \(head.projectID)", seq: head.count,
                                        problem: "deleted: the checkpoint of \(when) recorded it with \(head.count) events"))
                    continue
                }
                guard let hash = row.hash else {
                    broken.append(.init(projectCode: row.code, seq: head.count, problem: "events removed: the checkpoint of \(when) recorded \(head.count)"))
                    continue
                }
                if hash != head.hash {
                    broken.append(.init(projectCode: row.code, seq: head.count,
                                        problem: "differs from the checkpoint of \(when): the chain up to this event was rewritten (and re-hashed)"))
                }
            }
        }
        return broken
    }

    // MARK: Merkle root and packing

    /// The Merkle root over the heads in project order (leaves and inner nodes domain-separated; an odd node is
    /// carried up as it is).
    static func root(of heads: [Int64: Head]) -> Data {
        var level = heads.values.sorted { $0.projectID < $1.projectID }.map { head -> Data in
            var leaf = Data([0])
            leaf.append(pack([head]))
            return Data(SHA256.hash(data: leaf))
        }
        if level.isEmpty { return Data(SHA256.hash(data: Data())) }
        while level.count > 1 {
            var next: [Data] = []
            next.reserveCapacity((level.count + 1) / 2)
            for index in stride(from: 0, to: level.count, by: 2) {
                guard index + 1 < level.count else { next.append(level[index]); continue }
                var node = Data([1])
                node.append(level[index])
                node.append(level[index + 1])
                next.append(Data(SHA256.hash(data: node)))
            }
            level = next
        }
        return level[0]
    }

    static func pack(_ heads: [Head]) -> Data {
        var data = Data(capacity: heads.count * 44)
        for head in heads {
            withUnsafeBytes(of: UInt64(bitPattern: head.projectID).bigEndian) { data.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: head.count).bigEndian) { data.append(contentsOf: $0) }
            data.append(head.hash)
        }
        return data
    }

    static func unpack(_ base64: String) -> [Head]? {
        guard let data = Data(base64Encoded: base64), data.count % 44 == 0 else { return nil }
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count, by: 44).map { offset in
            let id = bytes[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let count = bytes[offset + 8..<offset + 12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return Head(projectID: Int64(bitPattern: id), count: Int(count), hash: Data(bytes[offset + 12..<offset + 44]))
        }
    }


    static func bytes(hex text: String) -> Data? {
        guard text.count % 2 == 0, text.allSatisfy(\.isHexDigit) else { return nil }
        var data = Data(capacity: text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            data.append(byte)
            index = next
        }
        return data
    }
}
