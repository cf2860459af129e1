import _ConnectionPoolModule
import PostgresNIO

/// Whether a failure is the database being out of reach — stopped, restarting, failing over, or answering as a
/// standby that takes no writes — rather than anything the request did. The request may be sent again once the
/// database is back; with its Idempotency-Key, a write that did commit before the connection broke is answered
/// as it was, never done twice.
public enum DatabaseOutage {
    public static func contains(_ error: any Error) -> Bool {
        if error is ConnectionPoolError || error is DatabaseUnreachable || error is DatabaseConnectionLost { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .clientClosedConnection:
            // A statement sent on a connection the server was closing (the fault drill met this in a fast restart)
            // carries the server's reason; without one, this server used a connection it had closed itself: a bug.
            return error.underlying.map(contains) ?? false
        case .server:
            // 57P01–57P03: the server is shutting down, crashed or still starting; 25006: a read-only transaction,
            // as on a standby after a failover; 08000–08006: the connection failed. Not 08P01 (protocol
            // violation), which is this server's bug.
            return ["57P01", "57P02", "57P03", "25006", "08000", "08001", "08003", "08004", "08006"].contains(error.serverInfo?[.sqlState] ?? "")
        default:
            return false
        }
    }

    /// Whether the database `connection` reaches takes writes now: not a standby, not read-only.
    public static func takesWrites(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'", logger: logger)
            .collect().first?.decode(Bool.self) ?? false
    }
}

/// No connection to the database could be had within the wait: PostgreSQL is down, restarting or failing over, or
/// every connection stayed busy.
public struct DatabaseUnreachable: Error, CustomStringConvertible {
    let wait: Duration
    public var description: String { "no database connection within \(wait)" }
}

/// The server closed the connection a transaction was using (`PostgresConnection.checkOpen`).
public struct DatabaseConnectionLost: Error, CustomStringConvertible {
    public var description: String { "the database closed the connection during the transaction" }
}
