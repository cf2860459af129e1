import Foundation
import Logging
import PostgresNIO

/// Dashboard sign-ins. The browser holds a random session id in an HttpOnly cookie; the database keeps only its
/// digest, as for API tokens, so a copy of the table signs no one in. A session lasts as long as the token it was
/// opened with: revoking the token, or its expiry, ends the session too.
public enum DashboardSessionRepository {
    public static let lifetime: TimeInterval = 12 * 3600

    /// Starts a session for the holder of `token`; returns the id for the cookie.
    public static func start(token: String, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let id = UserRepository.makeSecret()
        try await connection.query("""
            DELETE FROM dashboard_sessions WHERE expires_at < now()
            """, logger: logger)
        try await connection.query("""
            INSERT INTO dashboard_sessions (digest, user_id, token_id, expires_at)
            SELECT \(UserRepository.digest(of: id)), user_id, id, now() + make_interval(secs => \(lifetime))
            FROM tokens WHERE digest = \(UserRepository.digest(of: token))
            """, logger: logger)
        return id
    }

    /// The active user of an unexpired session whose token still signs in.
    public static func user(sessionID: String, on connection: PostgresConnection, logger: Logger) async throws -> User? {
        try await connection.query("""
            SELECT \(unescaped: UserRepository.columns) FROM users
            WHERE active AND id = (SELECT s.user_id FROM dashboard_sessions s JOIN tokens t ON t.id = s.token_id
                                   WHERE s.digest = \(UserRepository.digest(of: sessionID)) AND s.expires_at > now()
                                     AND \(unescaped: UserRepository.validToken("t")))
            """, logger: logger).collect().first.map(UserRepository.decodeUser)
    }

    public static func end(sessionID: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM dashboard_sessions WHERE digest = \(UserRepository.digest(of: sessionID))", logger: logger)
    }
}
