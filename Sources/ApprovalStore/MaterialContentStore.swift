import ApprovalCore
import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Where the bytes of materials live: one small interface, two stores. `DatabaseContentStore` (the default) keeps
/// them in PostgreSQL, in 1 MiB chunks, so backups and transactions cover them; `DirectoryContentStore` keeps
/// them as files named by their SHA-256 in a directory (a NAS mount). Either way the same bytes are stored once.
public protocol MaterialContentStore: Sendable {
    /// What `material_contents.stored_in` says for contents of this store.
    var location: String { get }
    /// Starts receiving the bytes of content `contentID`, inside the caller's transaction.
    func writer(contentID: Int64, on connection: PostgresConnection, logger: Logger) throws -> any MaterialContentWriter
    /// The bytes of `range` of a stored content, read piece by piece as they are sent.
    func reader(_ content: StoredContent, range: Range<Int>, database: Database) -> MaterialBytes
    /// Forgets the bytes of contents no version refers to any more (their rows are deleted by the caller).
    func remove(digests: [Data]) throws
}

/// Receives an upload's bytes in order, in pieces of at most `MaterialContents.chunkSize`.
public protocol MaterialContentWriter: Sendable {
    func write(_ piece: [UInt8], index: Int) async throws
    /// The upload is complete and its digest known: make the bytes findable by it.
    func finish(digest: Data) async throws
    /// The upload failed, or its bytes were already stored: drop what was written (the transaction drops rows).
    func abandon()
}

/// A content as recorded: where it is, how long, what type.
public struct StoredContent: Sendable, Hashable {
    public let id: Int64
    public let digest: Data
    public let size: Int
    public let mediaType: String
    public let storedIn: String
    /// Stored by the upload that received it, rather than found already stored.
    public var isNew = false

    public var digestHex: String { digest.hexString }
}

public enum MaterialContents {
    /// The size of each stored piece: an upload and a download hold one at a time.
    public static let chunkSize = 1 << 20
}

/// The bytes of a content, pulled piece by piece: each `next()` reads one piece, so a slow client holds back the
/// reading, and nothing larger than a piece is in memory.
public struct MaterialBytes: AsyncSequence, Sendable {
    public typealias Element = ArraySlice<UInt8>
    let range: Range<Int>
    let read: @Sendable (_ chunk: Int, _ within: Range<Int>) async throws -> [UInt8]

    public struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: MaterialBytes
        var offset: Int

        public mutating func next() async throws -> ArraySlice<UInt8>? {
            guard offset < bytes.range.upperBound else { return nil }
            let chunk = offset / MaterialContents.chunkSize
            let chunkStart = chunk * MaterialContents.chunkSize
            let end = Swift.min(bytes.range.upperBound, chunkStart + MaterialContents.chunkSize)
            let piece = try await bytes.read(chunk, (offset - chunkStart)..<(end - chunkStart))
            guard !piece.isEmpty else { throw MaterialStoreError(message: "stored content ends early at byte \(offset)") }
            offset += piece.count
            return piece[...]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: self, offset: range.lowerBound) }
}

public struct MaterialStoreError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

/// Contents in PostgreSQL: `material_chunks` rows of the content.
public struct DatabaseContentStore: MaterialContentStore {
    public init() {}

    public var location: String { "database" }

    public func writer(contentID: Int64, on connection: PostgresConnection, logger: Logger) throws -> any MaterialContentWriter {
        Writer(contentID: contentID, connection: connection, logger: logger)
    }

    struct Writer: MaterialContentWriter {
        let contentID: Int64
        let connection: PostgresConnection
        let logger: Logger

        func write(_ piece: [UInt8], index: Int) async throws {
            try await connection.query("""
                INSERT INTO material_chunks (content_id, n, bytes) VALUES (\(contentID), \(index), \(ByteBuffer(bytes: piece)))
                """, logger: logger)
        }

        func finish(digest: Data) async throws {}
        func abandon() {}
    }

    public func reader(_ content: StoredContent, range: Range<Int>, database: Database) -> MaterialBytes {
        MaterialBytes(range: range) { chunk, within in
            try await database.read { connection in
                // substring counts from 1.
                let row = try await connection.query("""
                    SELECT substring(bytes FROM \(within.lowerBound + 1)::int FOR \(within.count)::int) FROM material_chunks
                    WHERE content_id = \(content.id) AND n = \(chunk)
                    """, logger: database.logger).collect().first
                return try row.map { Array(buffer: try $0.decode(ByteBuffer.self)) } ?? []
            }
        }
    }

    public func remove(digests: [Data]) throws {}
}

/// Contents as files under `root`: `ab/abcdef…` by SHA-256, written to `.uploads/` first and moved into place
/// whole, so a file under its digest is always complete.
public struct DirectoryContentStore: MaterialContentStore {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appending(path: ".uploads"), withIntermediateDirectories: true)
    }

    public var location: String { "directory" }

    public func path(of digest: Data) -> URL {
        let hex = digest.hexString
        return root.appending(path: String(hex.prefix(2))).appending(path: hex)
    }

    public func writer(contentID: Int64, on connection: PostgresConnection, logger: Logger) throws -> any MaterialContentWriter {
        let temporary = root.appending(path: ".uploads").appending(path: UUID().uuidString)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw MaterialStoreError(message: "cannot create a file in \(root.path)/.uploads")
        }
        return Writer(store: self, temporary: temporary, handle: try FileHandle(forWritingTo: temporary))
    }

    struct Writer: MaterialContentWriter, @unchecked Sendable {
        let store: DirectoryContentStore
        let temporary: URL
        let handle: FileHandle

        func write(_ piece: [UInt8], index: Int) async throws { try handle.write(contentsOf: piece) }

        func finish(digest: Data) async throws {
            try handle.synchronize()
            try handle.close()
            let final = store.path(of: digest)
            try FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: final.path) {
                try? FileManager.default.removeItem(at: temporary)
            } else {
                try FileManager.default.moveItem(at: temporary, to: final)
            }
        }

        func abandon() {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    public func reader(_ content: StoredContent, range: Range<Int>, database: Database) -> MaterialBytes {
        let file = path(of: content.digest)
        return MaterialBytes(range: range) { chunk, within in
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(chunk * MaterialContents.chunkSize + within.lowerBound))
            return [UInt8](try handle.read(upToCount: within.count) ?? Data())
        }
    }

    public func remove(digests: [Data]) throws {
        for digest in digests { try? FileManager.default.removeItem(at: path(of: digest)) }
    }

    /// Removes what uploads cut off by a crash left in `.uploads` (a live upload's file is younger than `seconds`).
    public func removeAbandonedUploads(olderThan seconds: TimeInterval) {
        let folder = root.appending(path: ".uploads")
        for file in (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.contentModificationDateKey])) ?? [] {
            let modified = (try? file.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate ?? .distantFuture
            if modified < Date().addingTimeInterval(-seconds) { try? FileManager.default.removeItem(at: file) }
        }
    }
}
