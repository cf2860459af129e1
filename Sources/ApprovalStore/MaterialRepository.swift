import ApprovalCore
import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A material in an organisation's library, with its versions (newest last).
public struct Material: Sendable, Hashable {
    public struct Version: Sendable, Hashable {
        public let version: Int
        public let fileName: String
        public let content: StoredContent
        public let uploadedAt: Date
    }

    public let id: Int64
    public let organisation: String
    public let name: String
    public let kind: String?
    public let validFrom: CivilDate?
    public let validUntil: CivilDate?
    public let createdAt: Date
    public let versions: [Version]
    /// The project (its code) and item whose decision issued it (电子证照); nil for what the investor uploaded.
    public let issuedBy: IssuedBy?

    public struct IssuedBy: Sendable, Hashable {
        public let project: String
        public let item: String
    }

    public var current: Version? { versions.last }

    /// The same material with only the given versions: what someone reading it through an application sees.
    public func keeping(versions kept: Set<Int>) -> Material {
        Material(id: id, organisation: organisation, name: name, kind: kind, validFrom: validFrom, validUntil: validUntil, createdAt: createdAt,
                 versions: versions.filter { kept.contains($0.version) }, issuedBy: issuedBy)
    }
}

/// Why an upload was refused.
public enum MaterialUploadError: Error, Sendable, Hashable {
    case tooLarge(limit: Int)
    case unaccepted(looksLike: String)
    case overQuota(quota: Int, used: Int)
    /// The upload took longer than a whole upload may (a client trickling its bytes holds a connection).
    case tooSlow(seconds: Int)
}

/// The material library's rows: contents (stored once per SHA-256), materials and their versions.
public enum MaterialRepository {
    /// Receives an upload's bytes, checking its type from its first bytes and its size as it arrives, hashing as it
    /// goes, and stores them in `store` unless the same bytes are stored already. Runs inside the caller's
    /// transaction: an upload that fails or is cut off leaves nothing behind.
    public static func receive<Upload: AsyncSequence>(_ upload: Upload, limit: Int, store: any MaterialContentStore,
                                                       within duration: Duration = .seconds(600),
                                                       on connection: PostgresConnection, logger: Logger) async throws -> StoredContent
        where Upload.Element == ArraySlice<UInt8> {
        let deadline = ContinuousClock.now.advanced(by: duration)
        guard let contentID = try await connection.query("""
            INSERT INTO material_contents (size, media_type, stored_in) VALUES (0, '', \(store.location)) RETURNING id
            """, logger: logger).collect().first?.decode(Int64.self) else { throw MaterialStoreError(message: "no content row was created") }
        let writer = try store.writer(contentID: contentID, on: connection, logger: logger)
        do {
            var hasher = SHA256()
            var pending: [UInt8] = []
            pending.reserveCapacity(MaterialContents.chunkSize)
            var size = 0, index = 0
            var type: MaterialType?
            for try await piece in upload {
                guard ContinuousClock.now < deadline else { throw MaterialUploadError.tooSlow(seconds: Int(duration.components.seconds)) }
                size += piece.count
                guard size <= limit else { throw MaterialUploadError.tooLarge(limit: limit) }
                hasher.update(data: piece)
                pending.append(contentsOf: piece)
                if type == nil, pending.count >= MaterialType.prefixLength { type = try detect(pending) }
                while pending.count >= MaterialContents.chunkSize {
                    try await writer.write(Array(pending.prefix(MaterialContents.chunkSize)), index: index)
                    pending.removeFirst(MaterialContents.chunkSize)
                    index += 1
                }
            }
            let mediaType = try type ?? detect(pending)
            if !pending.isEmpty { try await writer.write(pending, index: index) }
            let digest = Data(hasher.finalize())
            // Two uploads of the same bytes at once: the second waits for the first to commit, then finds it.
            try await lockContent(digest, on: connection, logger: logger)
            if let existing = try await content(digest: digest, on: connection, logger: logger) {
                writer.abandon()
                // Found again: as young as a new upload, so the collector leaves it to whoever records it next.
                try await connection.query("DELETE FROM material_contents WHERE id = \(contentID)", logger: logger)
                try await connection.query("UPDATE material_contents SET created_at = now() WHERE id = \(existing.id)", logger: logger)
                return existing
            }
            try await writer.finish(digest: digest)
            try await connection.query("""
                UPDATE material_contents SET digest = \(digest), size = \(size), media_type = \(mediaType.rawValue) WHERE id = \(contentID)
                """, logger: logger)
            return StoredContent(id: contentID, digest: digest, size: size, mediaType: mediaType.rawValue, storedIn: store.location, isNew: true)
        } catch {
            writer.abandon()
            throw error
        }
    }

    private static func detect(_ prefix: [UInt8]) throws -> MaterialType {
        switch MaterialType.detect(Array(prefix.prefix(MaterialType.prefixLength))) {
        case let .success(type): return type
        case let .failure(unaccepted): throw MaterialUploadError.unaccepted(looksLike: unaccepted.looksLike)
        }
    }

    static let contentColumns = "c.id, c.digest, c.size, c.media_type, c.stored_in"

    static func decodeContent(_ cells: inout RowCells) throws -> StoredContent {
        StoredContent(id: try cells.next(Int64.self), digest: try cells.next(Data.self), size: try cells.next(Int.self),
                      mediaType: try cells.next(String.self), storedIn: try cells.next(String.self))
    }

    static func content(digest: Data, on connection: PostgresConnection, logger: Logger) async throws -> StoredContent? {
        try await connection.query("SELECT \(unescaped: contentColumns) FROM material_contents c WHERE c.digest = \(digest)", logger: logger)
            .collect().first.map { row in
                var cells = RowCells(row)
                return try decodeContent(&cells)
            }
    }

    /// Holds the content of `digest` until the transaction ends: an upload of the same bytes, and the collector of
    /// unreferenced contents, take turns on it.
    static func lockContent(_ digest: Data, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(encode(\(digest), 'hex'), 0))", logger: logger)
    }

    /// Holds the organisation's library until the transaction ends: its uploads take turns with its quota.
    public static func lockLibrary(organisation: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('library:' || \(organisation), 0))", logger: logger)
    }

    public static func count(organisation: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("SELECT count(*)::int FROM materials WHERE organisation = \(organisation)", logger: logger)
            .collect().first?.decode(Int.self) ?? 0
    }

    /// Bytes the organisation's versions take, each distinct content counted once.
    public static func usedBytes(organisation: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("""
            SELECT coalesce(sum(size), 0)::int8 FROM material_contents
            WHERE id IN (SELECT v.content_id FROM material_versions v JOIN materials m ON m.id = v.material_id
                         WHERE m.organisation = \(organisation) AND m.issued_by_item IS NULL)
            """, logger: logger).collect().first?.decode(Int.self) ?? 0
    }

    /// A new material with its first version.
    public static func create(organisation: String, name: String, kind: String?, validFrom: CivilDate?, validUntil: CivilDate?,
                              fileName: String, content: StoredContent, by userID: Int64, issuedBy: (projectID: Int64, itemID: String)? = nil,
                              on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        guard let id = try await connection.query("""
            INSERT INTO materials (organisation, name, kind, valid_from, valid_until, created_by, issued_by_project, issued_by_item)
            VALUES (\(organisation), \(name), \(kind), \(validFrom?.description)::date, \(validUntil?.description)::date, \(userID),
                    \(issuedBy?.projectID), \(issuedBy?.itemID))
            RETURNING id
            """, logger: logger).collect().first?.decode(Int64.self) else { throw MaterialStoreError(message: "no material row was created") }
        try await addVersion(materialID: id, fileName: fileName, content: content, validFrom: nil, validUntil: nil, by: userID,
                             on: connection, logger: logger)
        return id
    }

    /// The next version of a material; new validity dates replace the old ones when given.
    public static func addVersion(materialID: Int64, fileName: String, content: StoredContent, validFrom: CivilDate?, validUntil: CivilDate?,
                                  by userID: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        // Two new versions at once take turns for the next number.
        try await connection.query("SELECT 1 FROM materials WHERE id = \(materialID) FOR UPDATE", logger: logger)
        try await connection.query("""
            INSERT INTO material_versions (material_id, version, content_id, file_name, uploaded_by)
            SELECT \(materialID), coalesce(max(version), 0) + 1, \(content.id), \(fileName), \(userID)
            FROM material_versions WHERE material_id = \(materialID)
            """, logger: logger)
        if validFrom != nil || validUntil != nil {
            try await connection.query("""
                UPDATE materials SET valid_from = coalesce(\(validFrom?.description)::date, valid_from),
                                     valid_until = coalesce(\(validUntil?.description)::date, valid_until)
                WHERE id = \(materialID)
                """, logger: logger)
        }
    }

    static let materialColumns = """
        m.id, m.organisation, m.name, m.kind, m.valid_from::text, m.valid_until::text, m.created_at,
        (SELECT p.code FROM projects p WHERE p.id = m.issued_by_project), m.issued_by_item
        """

    private static func issuedBy(project: String?, item: String?) -> Material.IssuedBy? {
        guard let project, let item else { return nil }
        return Material.IssuedBy(project: project, item: item)
    }

    /// Materials by id, or an organisation's (newest first, before `before`, of `kind`), with their versions.
    public static func find(ids: [Int64]? = nil, organisation: String? = nil, kind: String? = nil, before: Int64? = nil, limit: Int = 1000,
                            on connection: PostgresConnection, logger: Logger) async throws -> [Material] {
        let rows = try await connection.query("""
            SELECT \(unescaped: materialColumns), v.version, v.file_name, v.uploaded_at, \(unescaped: contentColumns)
            FROM (SELECT * FROM materials m
                  WHERE (\(ids)::int8[] IS NULL OR m.id = ANY(\(ids ?? [])))
                    AND (\(organisation)::text IS NULL OR m.organisation = \(organisation))
                    AND (\(kind)::text IS NULL OR m.kind = \(kind))
                    AND (\(before)::int8 IS NULL OR m.id < \(before))
                  ORDER BY m.id DESC LIMIT \(limit)) m
            JOIN material_versions v ON v.material_id = m.id JOIN material_contents c ON c.id = v.content_id
            ORDER BY m.id DESC, v.version
            """, logger: logger).collect()
        var materials: [Material] = []
        var versions: [Material.Version] = []
        var head: (Int64, String, String, String?, String?, String?, Date, Material.IssuedBy?)?
        func close() {
            guard let (id, organisation, name, kind, from, until, created, issuedBy) = head else { return }
            materials.append(Material(id: id, organisation: organisation, name: name, kind: kind, validFrom: from.flatMap(CivilDate.init(iso:)),
                                      validUntil: until.flatMap(CivilDate.init(iso:)), createdAt: created, versions: versions, issuedBy: issuedBy))
            versions = []
        }
        for row in rows {
            var cells = RowCells(row)
            let material = (try cells.next(Int64.self), try cells.next(String.self), try cells.next(String.self), try cells.next(String?.self),
                            try cells.next(String?.self), try cells.next(String?.self), try cells.next(Date.self),
                            try Self.issuedBy(project: cells.next(String?.self), item: cells.next(String?.self)))
            if head?.0 != material.0 { close(); head = material }
            let version = try cells.next(Int.self), fileName = try cells.next(String.self), uploadedAt = try cells.next(Date.self)
            versions.append(Material.Version(version: version, fileName: fileName, content: try decodeContent(&cells), uploadedAt: uploadedAt))
        }
        close()
        return materials
    }

    /// The organisation's materials by reusable kind, newest first, those expired before `day` left out.
    public static func kinds(organisation: String, validOn day: CivilDate, on connection: PostgresConnection, logger: Logger) async throws -> [String: [Int64]] {
        var kinds: [String: [Int64]] = [:]
        for try await (kind, id) in try await connection.query("""
            SELECT kind, id FROM materials
            WHERE organisation = \(organisation) AND kind IS NOT NULL AND (valid_until IS NULL OR valid_until >= \(day.description)::date)
            ORDER BY id DESC
            """, logger: logger).decode((String, Int64).self) {
            kinds[kind, default: []].append(id)
        }
        return kinds
    }

    /// Records that `userID` downloaded a version (the access log).
    public static func recordDownload(materialID: Int64, version: Int, by userID: Int64, on connection: PostgresConnection,
                                      logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO material_downloads (material_id, version, user_id) VALUES (\(materialID), \(version), \(userID))
            """, logger: logger)
    }

    /// Contents no version refers to, stored more than `seconds` ago (left by a material that was never recorded)
    /// in one of `stores` (a process without the directory store must not forget the files it cannot remove): the
    /// collector's candidates, at most `limit` of them.
    public static func unreferenced(olderThan seconds: Double, in stores: [String], limit: Int, on connection: PostgresConnection,
                                    logger: Logger) async throws -> [Data] {
        try await connection.query("""
            SELECT c.digest FROM material_contents c
            WHERE c.digest IS NOT NULL AND c.created_at < now() - make_interval(secs => \(seconds)) AND c.stored_in = ANY(\(stores))
              AND NOT EXISTS (SELECT 1 FROM material_versions v WHERE v.content_id = c.id)
            LIMIT \(limit)
            """, logger: logger).collect().map { try $0.decode(Data.self) }
    }

    /// Deletes the content of `digest` if no version refers to it and it was stored more than `seconds` ago,
    /// holding it against an upload of the same bytes; true when it was deleted, so its file may go (before the
    /// transaction ends).
    public static func discard(digest: Data, olderThan seconds: Double, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await lockContent(digest, on: connection, logger: logger)
        return try await !connection.query("""
            DELETE FROM material_contents c
            WHERE c.digest = \(digest) AND c.created_at < now() - make_interval(secs => \(seconds))
              AND NOT EXISTS (SELECT 1 FROM material_versions v WHERE v.content_id = c.id)
            RETURNING c.id
            """, logger: logger).collect().isEmpty
    }

    /// After an upload that stored `digest` itself was rolled back: true when no row has the digest (another
    /// upload may have stored the same bytes since), so the file the upload put in place may go. Holds the digest
    /// until the transaction ends.
    public static func isUnstored(digest: Data, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await lockContent(digest, on: connection, logger: logger)
        return try await content(digest: digest, on: connection, logger: logger) == nil
    }
}
