import ApprovalStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Where the reads that may be a little behind go: the leaders' reports, the dashboard, the project and agent lists
/// and the forecast's paces. With a hot standby (`APPROVALS_READ_DATABASE_URL`) they run there while it is at most
/// `maximumStaleness` behind, and on the primary otherwise: when it lags further, when it gives no connection
/// within its pool's `connectionWait`, and for `rest` after its connections failed. Writes, a project's own status
/// and the department queue (a window comes back to it after each action) never come here. Each read records how
/// stale its answer may be in the request's `StalenessRecord`, which the response carries as `Data-Staleness`.
public final class ReadReplica: Sendable {
    let primary: Database
    let standby: Database?
    let maximumStaleness: Duration
    let rest: Duration
    private let unreachableUntil = Mutex<ContinuousClock.Instant?>(nil)

    public init(primary: Database, standby: Database? = nil, maximumStaleness: Duration = .seconds(30), rest: Duration = .seconds(10)) {
        self.primary = primary
        self.standby = standby
        self.maximumStaleness = maximumStaleness
        self.rest = rest
    }

    /// Runs `body` with the read replica `url` names (its own pool, for as long as `body`), or with the primary
    /// alone when `url` is nil or empty. A standby is given 2 s for a connection before reads leave it.
    public static func with<Result: Sendable>(url: String?, primary: Database, maximumStaleness: Duration,
                                              _ body: (ReadReplica) async throws -> Result) async throws -> Result {
        guard let url, !url.isEmpty else { return try await body(ReadReplica(primary: primary)) }
        let location: DatabaseLocation
        do {
            location = try DatabaseLocation(url: url)
        } catch {
            throw DatabaseLocationError(message: error.message.replacingOccurrences(of: "DATABASE_URL", with: "APPROVALS_READ_DATABASE_URL"))
        }
        primary.logger.notice("read replica: reports, the dashboard and lists read from \(location) while it lags at most \(maximumStaleness)")
        return try await Database.withClient(location, maximumConnections: 20, connectionWait: .seconds(2), logger: primary.logger) { standby in
            try await body(ReadReplica(primary: primary, standby: standby, maximumStaleness: maximumStaleness))
        }
    }

    public func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        if let standby, unreachableUntil.withLock({ $0.map { ContinuousClock.now >= $0 } ?? true }) {
            do {
                let limit = maximumStaleness.seconds
                let answer = try await standby.read { connection -> Answer<Result> in
                    guard let lag = try await StandbyLag.seconds(on: connection, logger: standby.logger), lag <= limit else { return .tooStale }
                    return .answer(try await body(connection), staleness: lag)
                }
                if case let .answer(result, staleness) = answer {
                    StalenessRecord.current?.note(seconds: staleness)
                    return result
                }
            } catch is DatabaseUnreachable {
                // Every standby connection busy (slow reports) or none to be had: this read goes to the primary; a
                // standby that refuses or drops connections is left alone for a while (below).
                primary.logger.notice("read replica: no connection within its wait; read from the primary")
            } catch where DatabaseOutage.contains(error) {
                unreachableUntil.withLock { $0 = ContinuousClock.now + rest }
                primary.logger.warning("read replica: unreachable (\(LoggedError.describe(error))); reading from the primary for \(rest)")
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "40001" {
                // The standby cancelled the read because replaying the primary's changes needed what it held
                // (a conflict with recovery): the primary answers this one.
                primary.logger.notice("read replica: a read conflicted with replay; read from the primary")
            }
        }
        StalenessRecord.current?.note(seconds: 0)
        return try await primary.read(body)
    }

    private enum Answer<Result: Sendable>: Sendable {
        case answer(Result, staleness: Double)
        case tooStale
    }
}

/// How stale the answer to the current request may be, in whole seconds: the most of what its reads recorded.
final class StalenessRecord: Sendable {
    @TaskLocal static var current: StalenessRecord?
    private let worst = Mutex<Int?>(nil)

    func note(seconds: Double) {
        let whole = Int(min(seconds, 1e9).rounded(.up))
        worst.withLock { $0 = max($0 ?? 0, whole) }
    }

    var seconds: Int? { worst.withLock { $0 } }
}
