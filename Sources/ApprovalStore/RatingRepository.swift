import ApprovalCore
import Foundation
import Logging
import PostgresNIO

public enum RatingRepository {
    public static func ratings(projectID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [Rating] {
        let rows = try await connection.query("""
            SELECT subject_kind, subject, agent_id, score, text, first_at, updated_at FROM ratings
            WHERE project_id = \(projectID) ORDER BY first_at, subject
            """, logger: logger)
        var ratings: [Rating] = []
        for try await (kind, subject, agent, score, text, first, updated) in rows.decode((String, String, Int64?, Int, String, Date, Date).self) {
            ratings.append(Rating(subject: kind == "agent" ? .agent(agent ?? 0) : .item(subject), score: score, text: text,
                                  firstAt: first, updatedAt: updated))
        }
        return ratings
    }

    /// Gives or changes the rating of a subject: one row per subject, its first time kept.
    public static func rate(projectID: Int64, subject: Rating.Subject, score: Int, text: String, by userID: Int64, at: Date,
                            on connection: PostgresConnection, logger: Logger) async throws {
        let (kind, key, agent): (String, String, Int64?) = switch subject {
        case let .item(id): ("item", id, nil)
        case let .agent(id): ("agent", "agent", id)
        }
        try await connection.query("""
            INSERT INTO ratings (project_id, subject_kind, subject, agent_id, score, text, rated_by, first_at, updated_at)
            VALUES (\(projectID), \(kind), \(key), \(agent), \(score), \(text), \(userID), \(at), \(at))
            ON CONFLICT (project_id, subject_kind, subject) DO UPDATE SET score = excluded.score, text = excluded.text,
                updated_at = excluded.updated_at
            """, logger: logger)
    }
}
