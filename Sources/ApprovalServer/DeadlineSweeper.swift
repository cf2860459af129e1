import ApprovalCore
import ApprovalStore
import Foundation
import Synchronization
import Logging
import PostgresNIO
import ServiceLifecycle

/// The deadline engine (超时默认): finds items whose limit passed while their clock ran and applies their
/// `on_timeout` policy — default approval, or escalation where silent approval would be unsafe. Runs inside
/// `serve` and as `approvals sweeper`; any number of them may share a database.
public struct DeadlineSweeper: Sendable {
    public struct Result: Sendable, Hashable {
        public var projects = 0
        public var defaultApprovals = 0
        public var escalations = 0
        public var warnings = 0

        public init(projects: Int = 0, defaultApprovals: Int = 0, escalations: Int = 0, warnings: Int = 0) {
            self.projects = projects
            self.defaultApprovals = defaultApprovals
            self.escalations = escalations
            self.warnings = warnings
        }

        public static func += (lhs: inout Result, rhs: Result) {
            lhs.projects += rhs.projects
            lhs.defaultApprovals += rhs.defaultApprovals
            lhs.escalations += rhs.escalations
            lhs.warnings += rhs.warnings
        }
    }

    let context: ServerContext
    let batchSize: Int
    let lanes: Int
    /// When the work under way (a sweep, then pruning) last finished a batch, for the stall watchdog.
    let heartbeat = SweepHeartbeat()

    public init(context: ServerContext, batchSize: Int = 100, lanes: Int = 2) {
        self.context = context
        self.batchSize = batchSize
        self.lanes = lanes
    }

    /// Removes contents no version refers to, each under its digest's lock, its file (directory store) before that
    /// lock goes: an upload of the same bytes then either finds the content still there or stores it afresh.
    func collectMaterials(batch: Int = 1_000) async throws {
        let database = context.database
        let directory = context.settings.materials.directory
        let stores = [DatabaseContentStore().location] + (directory.map { [$0.location] } ?? [])
        while !Task.isCancelled {
            let digests = try await database.read {
                try await MaterialRepository.unreferenced(olderThan: 86_400, in: stores, limit: batch, on: $0, logger: database.logger)
            }
            for digest in digests {
                heartbeat.beat()
                try await database.transaction { connection in
                    if try await MaterialRepository.discard(digest: digest, olderThan: 86_400, on: connection, logger: database.logger) {
                        try directory?.remove(digests: [digest])
                    }
                }
            }
            if digests.count < batch { return }
        }
    }

    /// Prunes what the retention settings let go (stored idempotent answers, settled notifications), batch by
    /// batch until none is left, and material contents no version refers to (a day after they were stored, so an
    /// upload still being recorded is never taken).
    public func pruneExpired(batch: Int = 5_000) async throws {
        try await collectMaterials()
        context.settings.materials.directory?.removeAbandonedUploads(olderThan: 86_400)
        let retention = context.settings.retention
        while !Task.isCancelled {
            let pruned = try await context.database.transaction { connection in
                try await Retention.prune(idempotencyAge: retention.idempotencyKeys.seconds, notificationAge: retention.notifications.seconds,
                                          batch: batch, on: connection, logger: context.database.logger)
            }
            heartbeat.beat()
            if pruned.idempotencyKeys < batch && pruned.notifications < batch { return }
        }
    }

    /// One batch in one transaction: claim, decide, write the effects with their events, and the projects'
    /// next due instants. A crash anywhere rolls the whole batch back, claim included, so nothing is lost and
    /// nothing happens twice. `afterProject` is told how many projects are decided so far (tests crash it there).
    ///
    /// The batch is read and written set-based: one statement reads all its projects' events, one their
    /// documents, one their progress logs; the decisions are made in memory; then one statement writes each
    /// kind of row for the whole batch. Its round trips do not grow with the projects it decides.
    public func sweepBatch(afterProject: (Int) async throws -> Void = { _ in }) async throws -> Result {
        let now = context.clock.now()
        let logger = context.database.logger
        return try await context.database.transaction { connection in
            var result = Result()
            let records = try await DeadlineQueue.claim(now: now, limit: batchSize, on: connection, logger: logger)
            guard !records.isEmpty else { return result }
            let ids = records.map(\.id)
            let projects = try await ProjectRepository.load(records, registry: context.registry, on: connection, logger: logger)
            var documents = try await FormalDocumentRepository.forProjects(ids, on: connection, logger: logger)
            var progress = try await ProgressLog.latest(projectIDs: ids, on: connection, logger: logger)
            var writes = SweepWrites()
            var saves: [ProjectSave] = []
            for (var record, var project) in zip(records, projects) {
                let today = CivilDate(instant: now, in: context.timeZone)
                result.projects += 1
                result += try decide(&record, &project, today: today, now: now, documents: &documents[record.id, default: [:]],
                                     lastProgress: &progress[record.id], into: &writes)
                saves.append(context.projectSave(record, project, today: today, documents: documents[record.id] ?? [:],
                                                 lastProgress: progress[record.id]))
                try await afterProject(result.projects)
            }
            // The decisions took a while in Swift: a failover meanwhile closed the connection (`checkOpen`).
            try connection.checkOpen()
            try await writes.write(saves, on: connection, logger: logger)
            return result
        }
    }

    /// One project's visit as of `today`, decided in the domain (`Project.sweep`); here its decisions become
    /// events, rows and metrics. `documents` and `lastProgress` are kept as they will stand, for the project's next
    /// due instant.
    private func decide(_ record: inout ProjectRecord, _ project: inout Project, today: CivilDate, now: Date,
                        documents: inout [String: FormalDocument], lastProgress: inout ProgressUpdate?,
                        into writes: inout SweepWrites) throws -> Result {
        let decided = try project.sweep(today: today, calendar: context.registry.calendar(for: project.workflow), documents: &documents,
                                        lastProgress: &lastProgress, agentID: record.agentID, itemYellowRaised: record.itemYellowRaised,
                                        warningRaised: record.warningRaised)
        record.itemYellowRaised = decided.itemYellowRaised
        record.warningRaised = decided.warningRaised
        writes.documents += decided.owed.map { (projectID: record.id, document: $0) }
        writes.overdueDocuments += decided.goneOverdue.map { (projectID: record.id, itemID: $0.itemID, on: today) }
        if let marked = decided.followUpMarked { writes.overdueFollowUps.append((id: marked.id, on: today)) }
        var result = Result()
        for decision in decided.decisions {
            let (event, itemID, date) = event(for: decision, project: project, today: today, result: &result)
            writes.events.append(NewEvent(event, itemID: itemID, actorID: DeadlineQueue.engineUserID, at: now, on: date), to: &record)
        }
        return result
    }

    /// A decision's audit event (what, on which item, dated when), counted in the result and the metrics.
    private func event(for decision: DeadlineDecisions.Decision, project: Project, today: CivilDate,
                       result: inout Result) -> (DomainEvent, String?, CivilDate) {
        switch decision {
        case let .timeout(action, before, on, leadDepartment):
            var transition = ItemTransition(action, before: before, in: project)
            // Whom an escalation went to, on the record: the stage's lead department (and the region's leaders).
            transition.leadDepartment = leadDepartment
            if case .escalate = action {
                result.escalations += 1
                context.metrics.recordEscalation(department: before.definition.department)
            } else {
                result.defaultApprovals += 1
                context.metrics.recordDefaultApproval(reason: "timeout", department: before.definition.department)
            }
            return (.item(transition), before.id, on)
        case let .formalDocumentOverdue(document):
            result.warnings += 1
            return (.formalDocumentOverdue(department: document.department, dueOn: document.dueOn), document.itemID, today)
        case let .followUpOverdue(update, agent, nextStepOn):
            result.warnings += 1
            return (.agentFollowUpOverdue(agent: agent, nextStepOn: nextStepOn, progress: update.id), update.itemID, today)
        case let .itemWarning(item):
            result.warnings += 1
            return (.itemWarning(remainingDays: item.remainingDays ?? 0, deadline: item.deadline?.value), item.id, today)
        case let .projectWarning(view, reason):
            result.warnings += 1
            return (.projectWarning(ProjectWarning(level: view.warning, reason: reason, usedDays: view.usedDays, forecastDays: view.forecast.totalDays,
                                                   totalLimit: view.totalLimit, criticalPath: view.forecast.criticalPath)), nil, today)
        }
    }

    /// Sweeps batch after batch until nothing is due, `lanes` batches at a time: each claims with SKIP LOCKED,
    /// so they take disjoint projects, and one waits on the database while another decides in Swift.
    public func sweepAll() async throws -> Result {
        await context.paces.refreshIfDue(context)
        return try await withThrowingTaskGroup(of: Result.self) { group in
            for _ in 0..<lanes {
                group.addTask {
                    var total = Result()
                    // Each project is claimed once per sweep (its next due instant moves past now), so this ends;
                    // a shutdown or a cancelled clock move stops it between two batches.
                    while true {
                        try Task.checkCancellation()
                        let batch = try await sweepBatch()
                        heartbeat.beat()
                        total += batch
                        if batch.projects < batchSize { return total }
                    }
                }
            }
            var total = Result()
            for try await lane in group { total += lane }
            // The decisions just written reach the report tallies as changes; folding them here keeps the
            // reports' reads to one row per key.
            try await ReportTally.compact(in: context.database)
            return total
        }
    }
}

/// The sweeper as a background service: sweeps every `interval` until shutdown.
public struct DeadlineSweeperService: Service {
    let sweeper: DeadlineSweeper
    let interval: Duration
    let logger: Logger
    let watchdog: Watchdog?

    /// A round (a sweep, then pruning) that finishes no batch for `limit` is taken as stuck: `onStall` ends the
    /// process. A statement on a connection the database dropped during a failover can wait for ever inside
    /// PostgresNIO (the fault drill met it), beyond the reach of cancellation; a worker that exits is started again
    /// by its supervisor, and its batch in hand has rolled back.
    public struct Watchdog: Sendable {
        let limit: Duration
        let onStall: @Sendable (Duration) -> Never

        public init(limit: Duration, onStall: @escaping @Sendable (Duration) -> Never) {
            self.limit = limit
            self.onStall = onStall
        }
    }

    public init(sweeper: DeadlineSweeper, interval: Duration, logger: Logger, watchdog: Watchdog? = nil) {
        self.sweeper = sweeper
        self.interval = interval
        self.logger = logger
        self.watchdog = watchdog
    }

    /// With a `watchdog` (the dedicated `approvals sweeper`), a round stuck for longer than its limit ends the process.
    public func run() async throws {
        guard let watchdog else { return try await sweep() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sweep() }
            group.addTask {
                while true {
                    try? await Task.sleep(for: .seconds(5))
                    guard !Task.isCancelled else { return }
                    if let stalled = sweeper.heartbeat.silence(), stalled > watchdog.limit { watchdog.onStall(stalled) }
                }
            }
            // The sweep ends on shutdown; the watch ends with it.
            try await group.next()
            group.cancelAll()
        }
    }

    private func sweep() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                sweeper.heartbeat.beat()
                do {
                    let result = try await sweeper.sweepAll()
                    if result.defaultApprovals + result.escalations > 0 {
                        logger.notice("sweeper: \(result.defaultApprovals) default approvals, \(result.escalations) escalations in \(result.projects) projects")
                    }
                } catch is CancellationError {
                    // Shutting down: the batch in hand was rolled back and the next start sweeps it.
                    return
                } catch {
                    // A failed batch was rolled back whole; the next sweep retries it.
                    logger.error("sweeper: batch failed and was rolled back: \(LoggedError.describe(error))")
                }
                do {
                    try await sweeper.pruneExpired()
                } catch {
                    logger.error("sweeper: pruning by retention failed: \(LoggedError.describe(error))")
                }
                // A shutdown ends the wait early, and is not an error of the service.
                sweeper.heartbeat.rest()
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// The rows a sweeper batch writes, gathered while it decides and written kind by kind, each in one statement.
struct SweepWrites {
    var events = PendingEvents()
    var documents: [(projectID: Int64, document: FormalDocument)] = []
    var overdueDocuments: [(projectID: Int64, itemID: String, on: CivilDate)] = []
    var overdueFollowUps: [(id: Int64, on: CivilDate)] = []

    /// The projects with their events and notifications, as every change writes them (the batch's rows are
    /// locked, so none can have moved on); then the documents newly owed, then the older ones gone overdue.
    func write(_ saves: [ProjectSave], on connection: PostgresConnection, logger: Logger) async throws {
        var write = ProjectWrite()
        write.events = events
        write.saves = saves
        guard try await write.write(on: connection, logger: logger) else {
            throw StoredEventError(message: "a project of the sweeper's batch changed although its row was locked")
        }
        try await FormalDocumentRepository.create(documents, on: connection, logger: logger)
        try await FormalDocumentRepository.markOverdue(overdueDocuments, on: connection, logger: logger)
        try await ProgressLog.markFollowUpOverdue(overdueFollowUps, on: connection, logger: logger)
    }
}

/// When the round under way (a sweep, then pruning) last made progress: nil between rounds.
final class SweepHeartbeat: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    func beat() { last.withLock { $0 = .now } }

    func rest() { last.withLock { $0 = nil } }

    /// How long the round under way has gone without finishing a batch; nil when none is under way.
    func silence() -> Duration? { last.withLock { $0.map { .now - $0 } } }
}
