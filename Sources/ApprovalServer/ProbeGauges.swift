import ApprovalStore
import Foundation

/// The database-backed gauges of `/metrics` (items by state, sweeper lag, webhook backlog), read at most once per
/// `refresh` however often and however many scrapers ask: a scrape must cost the database nothing it can notice,
/// so a few concurrent scrapers cannot drain the connection pool. Items are counted from the report tallies, never
/// by scanning `items`.
actor ProbeGauges {
    private let refresh: Duration
    private var lastRead: ContinuousClock.Instant?

    init(refresh: Duration) { self.refresh = refresh }

    /// Reads the gauges again when the last read is older than `refresh`; one caller reads, the others go on with
    /// the values already set.
    func refreshIfDue(_ context: ServerContext) async {
        let now = ContinuousClock.now
        if let lastRead, now - lastRead < refresh { return }
        lastRead = now
        let database = context.database
        do {
            let counts = try await database.read { try await ReportTally.itemsByState(on: $0, logger: database.logger) }
            context.metrics.setItemsByState(counts)
            let oldest = try await database.read { try await DeadlineQueue.oldestDue(on: $0, logger: database.logger) }
            context.metrics.setSweeperLag(seconds: max(0, oldest.map { context.clock.now().timeIntervalSince($0) } ?? 0))
            let backlog = try await database.read { try await WebhookRepository.backlog(on: $0, logger: database.logger) }
            context.metrics.setWebhookBacklog(pending: backlog.pending, oldestDueSeconds: backlog.oldestDueSeconds)
        } catch {
            // The database is unreachable: /readyz says so; the other metrics are still worth serving. Try again
            // on the next scrape rather than after a whole interval.
            self.lastRead = nil
        }
    }
}
