import Crypto
import Foundation
import Logging
import PostgresNIO

/// `Idempotency-Key` handling, inside the write's own transaction: the key is claimed first, the response is
/// stored before commit, and a retry finds the stored response instead of writing again. A concurrent retry
/// waits on the first one's uncommitted key row, then sees its outcome.
public enum Idempotency {
    public struct StoredResponse: Sendable, Hashable {
        public let status: Int
        public let body: String

        public init(status: Int, body: String) {
            self.status = status
            self.body = body
        }
    }

    public enum Claim: Sendable {
        /// First use of the key: go ahead and call `record` before committing.
        case claimed
        case replay(StoredResponse)
    }

    public static func requestDigest(operation: String, target: String, body: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: Data("\(operation)\n\(target)\n".utf8))
        hasher.update(data: body)
        return Data(hasher.finalize())
    }

    public static func claim(userID: Int64, key: String, requestDigest: Data, on connection: PostgresConnection,
                             logger: Logger) async throws -> Claim {
        let inserted = try await connection.query("""
            INSERT INTO idempotency_keys (user_id, key, request_digest) VALUES (\(userID), \(key), \(requestDigest))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger).collect()
        if !inserted.isEmpty { return .claimed }
        let row = try await connection.query("""
            SELECT request_digest, response_status, response_body FROM idempotency_keys
            WHERE user_id = \(userID) AND key = \(key)
            """, logger: logger).collect().first!
        let (digest, status, body) = try row.decode((Data, Int?, String?).self)
        guard digest == requestDigest else { throw IdempotencyError.reusedForAnotherRequest(key: key) }
        guard let status, let body else { throw IdempotencyError.reusedForAnotherRequest(key: key) }
        return .replay(StoredResponse(status: status, body: body))
    }

    public static func record(userID: Int64, key: String, response: StoredResponse, on connection: PostgresConnection,
                              logger: Logger) async throws {
        try await connection.query("""
            UPDATE idempotency_keys SET response_status = \(response.status), response_body = \(response.body)
            WHERE user_id = \(userID) AND key = \(key)
            """, logger: logger)
    }
}

public enum IdempotencyError: Error, Hashable {
    case reusedForAnotherRequest(key: String)
}
