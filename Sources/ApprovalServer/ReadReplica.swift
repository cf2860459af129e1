import ApprovalStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Where the reads that may be a little behind go: the leaders' reports, the dashboard, the list endpoints and the
/// queue. With a hot standby (`APPROVALS_READ_DATABASE_URL`) they run there while it is at most `maximumStaleness`
/// behind, and on the primary otherwise: when it lags further, when it cannot be reached within `leaseWait`, and
/// for `rest` after it could not. Writes and a project's own status never come here. Each read records how
/// stale its answer may be in the request's `StalenessRecord`, which the response carries as `Data-Staleness`.
public final class ReadReplica: Sendable {
    let primary: Database
    let standby: Database?
    let maximumStaleness: Duration
    let leaseWait: Duration
    let rest: Duration
    private let unreachableUntil = Mutex<ContinuousClock.Instant?>(nil)

    public init(primary: Database, standby: Database? = nil, maximumStaleness: Duration = .seconds(30),
                leaseWait: Duration = .seconds(2), rest: Duration = .seconds(10)) {
        self.primary = primary
        self.standby = standby
        self.maximumStaleness = maximumStaleness
        self.leaseWait = leaseWait
        self.rest = rest
    }

    /// Runs `body` with the read replica `url` names (its own pool, for as long as `body`), or with the primary
    /// alone when `url` is nil or empty.
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
        return try await Database.withClient(location, maximumConnections: 20, logger: primary.logger) { standby in
            try await body(ReadReplica(primary: primary, standby: standby, maximumStaleness: maximumStaleness))
        }
    }

    public func read<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        if let standby, unreachableUntil.withLock({ $0.map { ContinuousClock.now >= $0 } ?? true }) {
            do {
                if let answer = try await onStandby(standby, body) { return answer }
            } catch where DatabaseOutage.contains(error) || error is StandbyNotReached {
                unreachableUntil.withLock { $0 = ContinuousClock.now + rest }
                primary.logger.warning("read replica: unreachable (\(LoggedError.describe(error))); reading from the primary for \(rest)")
            }
        }
        StalenessRecord.current?.note(seconds: 0)
        return try await primary.read(body)
    }

    /// The answer from the standby, or nil when it is too far behind. A connection not had within `leaseWait`
    /// (the pool would wait for its circuit breaker) is `StandbyNotReached`; once leased, the read takes its time.
    private func onStandby<Result: Sendable>(_ standby: Database, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result? {
        let leased = LeaseFlag()
        let limit = maximumStaleness
        let logger = standby.logger
        return try await withThrowingTaskGroup(of: Answer<Result>.self) { group in
            group.addTask {
                try await standby.read { connection in
                    leased.set()
                    guard let lag = try await StandbyLag.seconds(on: connection, logger: logger), lag <= limit.seconds else { return .tooStale }
                    return .answer(try await body(connection), staleness: lag)
                }
            }
            group.addTask { [leaseWait] in
                try await Task.sleep(for: leaseWait)
                guard leased.isSet else { throw StandbyNotReached() }
                return .leased
            }
            while let next = try await group.next() {
                switch next {
                case .leased: continue
                case .tooStale:
                    group.cancelAll()
                    return nil
                case let .answer(result, staleness):
                    group.cancelAll()
                    StalenessRecord.current?.note(seconds: staleness)
                    return result
                }
            }
            return nil
        }
    }

    private enum Answer<Result: Sendable>: Sendable {
        case answer(Result, staleness: Double)
        case tooStale
        case leased
    }

    private final class LeaseFlag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    struct StandbyNotReached: Error, CustomStringConvertible {
        var description: String { "no connection within the wait" }
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
