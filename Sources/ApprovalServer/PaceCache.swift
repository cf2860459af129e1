import ApprovalCore
import ApprovalStore
import Foundation
import Synchronization

/// The departments' recent paces (`DepartmentPaces`) as the forecast from history reads them: loaded from the
/// tally at most once per `refresh` by a read or a write before it takes its connection (`refreshIfDue`), and
/// otherwise read from memory, so computing a project's figures never queries for them (a write holds its
/// connection while it computes, and must not take a second). Until the first load every item counts at its legal
/// limit, and the expected forecast is the legal one. A project's stored expected total (the at-risk report's) is
/// as of its last change or sweep.
final class PaceCache: Sendable {
    private struct State {
        var paces = DepartmentPaces.none
        var loadedAt: ContinuousClock.Instant?
        var window: String?
    }

    private let state = Mutex(State())
    private let refresh: Duration

    init(refresh: Duration = .seconds(600)) { self.refresh = refresh }

    /// The paces for a project in `region`, as last loaded.
    func paces(forRegion region: String) -> [String: DepartmentPace] {
        state.withLock { $0.paces }.paces(forRegion: region)
    }

    /// Loads the last 12 months' paces again when the last load is older than `refresh` or the months have
    /// turned; one caller loads, the others go on with what is there.
    func refreshIfDue(_ context: ServerContext) async {
        let window = Self.firstMonth(of: context.today)
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            if state.window == window, let loadedAt = state.loadedAt, now - loadedAt < refresh { return false }
            state.loadedAt = now
            state.window = window
            return true
        }
        guard due else { return }
        let logger = context.database.logger
        do {
            // Loaded for the process, not for the request that happened to come first: its answer's staleness is
            // not this load's.
            let paces = try await StalenessRecord.$current.withValue(nil) {
                try await context.readReplica.read { try await DepartmentPaces.load(sinceMonth: window, on: $0, logger: logger) }
            }
            state.withLock { $0.paces = paces }
        } catch {
            // The database is unreachable: keep what was loaded and try again on the next call.
            state.withLock { $0.loadedAt = nil }
        }
    }

    /// The first of the 12 months up to and including `today`'s, as the tally names months (YYYY-MM).
    static func firstMonth(of today: CivilDate) -> String {
        let parts = today.description.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return "0000-00" }
        let index = parts[0] * 12 + (parts[1] - 1) - 11
        return String(format: "%04d-%02d", index / 12, index % 12 + 1)
    }
}
