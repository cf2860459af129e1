import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL connection pool with the one transaction helper every write goes through.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// How long a caller waits for a connection before it is told the database cannot be reached
    /// (`DatabaseUnreachable`, an outage: 503 with Retry-After). While PostgreSQL is down or a failover is under
    /// way the pool keeps trying to connect, and would keep its callers waiting until its circuit breaker trips a
    /// minute later.
    public let connectionWait: Duration

    public init(client: PostgresClient, logger: Logger, connectionWait: Duration = .seconds(5)) {
        self.client = client
        self.logger = logger
        self.connectionWait = connectionWait
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws, with the
    /// thrown error passed on unchanged (so a refused action stays a refused action, not a database error).
    public func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await leased { connection in
            try await connection.inTransaction(logger: logger) { try await body(connection) }
        }
    }

    public func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await leased(body)
    }

    /// `body` with a pooled connection, had within `connectionWait`. The connection is leased by a task of its own
    /// that holds it until `body` is done, so the wait can be given up while `body` itself runs in the caller's
    /// task as it always did. That task is not a child: the pool may miss a lease's cancellation (one that
    /// arrives while the lease is being queued), and a caller that gives up must not wait for it; such a lease
    /// is handed back as soon as it is granted, or failed when the pool shuts down.
    private func leased<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let (outcomes, report) = AsyncStream.makeStream(of: LeaseOutcome.self)
        let release = ReleaseGate()
        let lease = Task { [client] in
            do {
                try await client.withConnection { connection in
                    report.yield(.granted(connection))
                    report.finish()
                    await release.wait()
                }
            } catch {
                report.yield(.failed(error))
                report.finish()
            }
        }
        let giveUp = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: .nanoseconds(Int64(connectionWait.seconds * 1e9))) { report.finish() }
        defer {
            giveUp.cancel()
            release.open()
        }
        var outcome = outcomes.makeAsyncIterator()
        switch await outcome.next() {
        case let .granted(connection)?:
            giveUp.cancel()
            try connection.checkOpen()
            return try await body(connection)
        case let .failed(error)?:
            throw error
        case nil:
            // The wait ran out, or the caller was cancelled.
            lease.cancel()
            try Task.checkCancellation()
            throw DatabaseUnreachable(wait: connectionWait)
        }
    }

    private enum LeaseOutcome: Sendable {
        case granted(PostgresConnection)
        case failed(any Error)
    }

    /// Opens once. The lease's task waits for it whatever its own cancellation: the connection must stay leased
    /// until the body using it is done, and is handed back only then.
    private final class ReleaseGate: Sendable {
        private let state = Mutex<(open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

        func wait() async {
            await withCheckedContinuation { continuation in
                let openAlready = state.withLock { state in
                    if !state.open { state.waiter = continuation }
                    return state.open
                }
                if openAlready { continuation.resume() }
            }
        }

        func open() {
            let waiter = state.withLock { state in
                state.open = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// Runs `body` with a pool of its own, running for exactly as long as `body`.
    public static func withClient<Result: Sendable>(_ location: DatabaseLocation, maximumConnections: Int = 2, connectionWait: Duration = .seconds(5),
                                                    logger: Logger, _ body: (Database) async throws -> Result) async throws -> Result {
        var configuration = location.clientConfiguration
        configuration.options.maximumConnections = maximumConnections
        // The pool arms an idle timer and a keep-alive timer each time a connection is handed back, and a cancelled
        // timer's sleeping task lives on until its deadline, so the server's memory grew with its request rate times
        // the timers' periods (BENCHMARKS.md). Short periods bound that; an idle connection is checked after 5 s and
        // closed after 10 s, and reopened on demand.
        configuration.options.connectionIdleTimeout = .seconds(10)
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(5))
        // Every query here is either a short lookup or a report read once per request: compiling a report's plan
        // with JIT cost more than it saved (BENCHMARKS.md).
        configuration.options.additionalStartupParameters = [("jit", "off")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        // A lease only queues until run() reads the pool's events, so `body` starts once run()'s task executes
        // rather than after a guessed sleep. The tests' hangs were leases queued behind a run() that never got a
        // thread, because test code blocked the concurrency pool's few threads (waitUntilExit, initdb); nothing
        // blocks them now. Cancelling run() shuts the pool down: a waiting lease then fails instead of waiting.
        let (started, markStarted) = AsyncStream<Never>.makeStream()
        let (stopped, markStopped) = AsyncStream<Never>.makeStream()
        let running = Task {
            markStarted.finish()
            await client.run()
            markStopped.finish()
        }
        for await _ in started {}
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(Database(client: client, logger: logger, connectionWait: connectionWait)))
        } catch {
            result = .failure(error)
        }
        // The pool closes its connections and returns from run(). Now and then (in about one full test run in four
        // here) its run() never returned once cancelled, with no connection left open, and held its caller for
        // ever; so it is given a while, then left behind.
        running.cancel()
        let givenUp = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: .seconds(10)) {
            logger.warning("database: the pool for \(location) did not shut down within 10 s; left behind")
            markStopped.finish()
        }
        for await _ in stopped {}
        givenUp.cancel()
        return try result.get()
    }

    /// Creates the database `name` on `server` unless it exists (the private cluster's application database).
    public static func createIfMissing(_ name: String, server: DatabaseLocation, logger: Logger) async throws {
        try await withClient(server, logger: logger) { database in
            try await database.read { connection in
                let exists = try await !connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger).collect().isEmpty
                if !exists {
                    // Identifiers cannot be bound; the name is ours, not user input.
                    try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
                }
            }
        }
    }

}

/// Where the database is: a `postgres://` URL, or the private cluster's Unix socket.
public struct DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int, tls: TLSMode)
        case socket(path: String)
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String

    public init(endpoint: Endpoint, username: String, password: String?, database: String) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=/ca.pem`, or as libpq does
    /// for a Unix socket, `postgres://user@/database?host=/socket/folder` (the port names the socket file).
    public init(url text: String) throws(DatabaseLocationError) {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            // The text may hold a password, so it is not repeated.
            throw DatabaseLocationError(message: "DATABASE_URL must look like postgres://user:password@host:5432/database (scheme postgres or postgresql)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw DatabaseLocationError(message: "DATABASE_URL names no database (…/database)") }
        let username = components.user?.removingPercentEncoding ?? "postgres"
        if let folder = components.queryItems?.first(where: { $0.name == "host" })?.value, folder.hasPrefix("/") {
            self.init(endpoint: .socket(path: "\(folder)/.s.PGSQL.\(components.port ?? 5432)"), username: username,
                      password: components.password?.removingPercentEncoding, database: database)
            return
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseLocationError(message: "DATABASE_URL has no host (for a Unix socket: postgres://user@/database?host=/socket/folder)")
        }
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let rootCertificate = components.queryItems?.first { $0.name == "sslrootcert" }?.value
        guard let tls = TLSMode(sslmode: sslMode, rootCertificate: rootCertificate) else {
            throw DatabaseLocationError(message: "DATABASE_URL sslmode must be disable, prefer, require, verify-ca or verify-full, not '\(sslMode)'")
        }
        if let rootCertificate, !FileManager.default.isReadableFile(atPath: rootCertificate) {
            throw DatabaseLocationError(message: "DATABASE_URL sslrootcert: cannot read \(rootCertificate)")
        }
        self.init(endpoint: .tcp(host: host, port: components.port ?? 5432, tls: tls),
                  username: username,
                  password: components.password?.removingPercentEncoding, database: database)
    }

    public func with(database: String) -> DatabaseLocation {
        var copy = self
        copy.database = database
        return copy
    }

    public var clientConfiguration: PostgresClient.Configuration {
        switch endpoint {
        case let .tcp(host, port, tls):
            PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database,
                                         tls: tls.configuration)
        case let .socket(path):
            PostgresClient.Configuration(unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    /// For logs: never includes the password.
    public var description: String {
        switch endpoint {
        case let .tcp(host, port, _): "postgres://\(username)@\(host):\(port)/\(database)"
        case let .socket(path): "postgres (socket \(path)) database \(database)"
        }
    }

    /// As a DATABASE_URL, for a child process; includes the password.
    public var url: String {
        let credentials = username + (password.map { ":\($0)" } ?? "")
        switch endpoint {
        case let .tcp(host, port, tls):
            let root = tls.rootCertificate.map { "&sslrootcert=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""
            return "postgres://\(credentials)@\(host):\(port)/\(database)?sslmode=\(tls.sslmode)\(root)"
        case let .socket(path):
            let file = URL(filePath: path)
            let port = file.lastPathComponent.split(separator: ".").last.map(String.init) ?? "5432"
            return "postgres://\(credentials)@\(port == "5432" ? "" : ":\(port)")/\(database)?host=\(file.deletingLastPathComponent().path)"
        }
    }
}

/// How to talk TLS to PostgreSQL, as libpq's `sslmode` says: `disable`; `prefer` (TLS when the server offers it)
/// and `require` (TLS or no connection), both without checking the certificate; `verify-ca` (a certificate signed
/// by `sslrootcert`, or the system's roots) and `verify-full` (that, issued for the host connected to).
public enum TLSMode: Sendable, Hashable {
    case disable, prefer, require
    case verifyCA(rootCertificate: String?)
    case verifyFull(rootCertificate: String?)

    init?(sslmode: String, rootCertificate: String?) {
        switch sslmode {
        case "disable": self = .disable
        case "prefer": self = .prefer
        case "require": self = .require
        case "verify-ca": self = .verifyCA(rootCertificate: rootCertificate)
        case "verify-full": self = .verifyFull(rootCertificate: rootCertificate)
        default: return nil
        }
    }

    var sslmode: String {
        switch self {
        case .disable: "disable"
        case .prefer: "prefer"
        case .require: "require"
        case .verifyCA: "verify-ca"
        case .verifyFull: "verify-full"
        }
    }

    var rootCertificate: String? {
        switch self {
        case let .verifyCA(path), let .verifyFull(path): path
        default: nil
        }
    }

    var configuration: PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch self {
        case .disable:
            return .disable
        case .prefer:
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            tls.certificateVerification = .none
            return .require(tls)
        case let .verifyCA(path), let .verifyFull(path):
            tls.certificateVerification = self == .verifyFull(rootCertificate: path) ? .fullVerification : .noHostnameVerification
            if let path { tls.trustRoots = .file(path) }
            return .require(tls)
        }
    }
}

public struct DatabaseLocationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

extension PostgresConnection {
    /// BEGIN, then COMMIT when `body` returns or ROLLBACK when it throws; the error passes on unchanged.
    /// The one transaction wrapper: pooled writes and each migration (on the connection holding the
    /// migration lock) both go through it.
    public func inTransaction<Result>(logger: Logger, isolation: isolated (any Actor)? = #isolation,
                               _ body: () async throws -> Result) async throws -> Result {
        try checkOpen()
        try await query("BEGIN", logger: logger)
        do {
            let result = try await body()
            try checkOpen()
            try await query("COMMIT", logger: logger)
            return result
        } catch {
            // A connection the server closed (a failover) has rolled back already.
            if !isClosed { _ = try? await query("ROLLBACK", logger: logger) }
            throw error
        }
    }

    /// Throws `DatabaseConnectionLost` when the server has closed this connection (a shutdown or failover while
    /// it sat in a transaction). PostgresNIO 1.33 never answers a statement written to a connection whose channel
    /// has gone (its write has no promise), so one sent then would wait for ever: a batch that computes between
    /// statements checks before it writes, and every transaction before COMMIT and ROLLBACK.
    public func checkOpen() throws {
        if isClosed { throw DatabaseConnectionLost() }
    }
}
