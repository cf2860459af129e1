import Foundation
import Logging
import PostgresNIO

/// Dashboard sign-ins. The browser holds a random session id in an HttpOnly cookie; the database keeps only its
/// digest, as for API tokens, so a copy of the table signs no one in.
public enum DashboardSessionRepository {
    public static let lifetime: TimeInterval = 12 * 3600

    /// Starts a session for the user; returns the id for the cookie.
    public static func start(userID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let id = UserRepository.makeSecret()
        try await connection.query("""
            DELETE FROM dashboard_sessions WHERE expires_at < now()
            """, logger: logger)
        try await connection.query("""
            INSERT INTO dashboard_sessions (digest, user_id, expires_at)
            VALUES (\(UserRepository.digest(of: id)), \(userID), now() + make_interval(secs => \(lifetime)))
            """, logger: logger)
        return id
    }

    /// The active user of an unexpired session.
    public static func user(sessionID: String, on connection: PostgresConnection, logger: Logger) async throws -> User? {
        try await connection.query("""
            SELECT \(unescaped: UserRepository.columns) FROM users
            WHERE active AND id = (SELECT user_id FROM dashboard_sessions
                                   WHERE digest = \(UserRepository.digest(of: sessionID)) AND expires_at > now())
            """, logger: logger).collect().first.map(UserRepository.decodeUser)
    }

    public static func end(sessionID: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM dashboard_sessions WHERE digest = \(UserRepository.digest(of: sessionID))", logger: logger)
    }
}
