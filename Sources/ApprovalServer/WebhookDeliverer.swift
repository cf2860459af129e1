import ApprovalStore
import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// How hard to try: attempts before a delivery is dead-lettered, the exponential backoff between them, how long
/// one delivery may take in all (connect, send, the answer's head and body), and how long the receiver may stay
/// silent meanwhile.
public struct WebhookPolicy: Sendable {
    public var maxAttempts: Int
    public var firstRetryDelay: Duration
    public var maxRetryDelay: Duration
    public var requestTimeout: Duration
    public var readTimeout: Duration
    /// Where deliveries may go, checked again before each one.
    public var egress: WebhookEgress

    public init(maxAttempts: Int = 8, firstRetryDelay: Duration = .seconds(30), maxRetryDelay: Duration = .seconds(6 * 3600),
                requestTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(5), egress: WebhookEgress = .strict) {
        self.egress = egress
        self.readTimeout = readTimeout
        self.maxAttempts = maxAttempts
        self.firstRetryDelay = firstRetryDelay
        self.maxRetryDelay = maxRetryDelay
        self.requestTimeout = requestTimeout
    }

    /// After attempt n failed: first × 2^(n−1), at most the maximum (30 s, 1 min, 2 min … 6 h by default).
    public func retryDelay(afterAttempt attempt: Int) -> Duration {
        let factor = 1 << min(max(attempt - 1, 0), 30)
        return min(firstRetryDelay * factor, maxRetryDelay)
    }
}

/// Sends pending webhook deliveries: claims a batch, POSTs each signed body, and records the outcome. Delivery
/// is at least once — a deliverer that dies after the receiver answered but before the outcome is written sends
/// again after the lease — so every request carries the delivery id for receivers to drop duplicates.
public struct WebhookDeliverer: Sendable {
    public struct Result: Sendable, Hashable {
        public var delivered = 0
        public var failed = 0
        public var deadLettered = 0

        public init(delivered: Int = 0, failed: Int = 0, deadLettered: Int = 0) {
            self.delivered = delivered
            self.failed = failed
            self.deadLettered = deadLettered
        }
    }

    let database: Database
    let policy: WebhookPolicy
    let metrics: ServerMetrics
    let batchSize: Int

    public init(database: Database, policy: WebhookPolicy = WebhookPolicy(), metrics: ServerMetrics, batchSize: Int = 32) {
        self.database = database
        self.policy = policy
        self.metrics = metrics
        self.batchSize = batchSize
    }

    /// The HTTP client of one delivery: no redirects (a subscription names exactly where its data may go), the
    /// read timeout, and the URL's host connected at the address the egress check approved (TLS still verifies
    /// the certificate for the host's name).
    func makeClient(host: String?, address: String?) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let nanoseconds = { (duration: Duration) in TimeAmount.nanoseconds(Int64(duration.seconds * 1e9)) }
        configuration.timeout = .init(connect: nanoseconds(policy.requestTimeout), read: nanoseconds(policy.readTimeout))
        if let host, let address { configuration.dnsOverride = [host: address] }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// One batch: claimed in its own short transaction, sent concurrently, outcomes written one by one.
    public func deliverBatch() async throws -> Result {
        let logger = database.logger
        let lease = policy.requestTimeout + .seconds(60)
        let claimed = try await database.transaction { connection in
            try await WebhookRepository.claimDue(limit: batchSize, lease: lease, on: connection, logger: logger)
        }
        return try await withThrowingTaskGroup(of: Result.self) { group in
            for delivery in claimed {
                group.addTask { try await send(delivery) }
            }
            var total = Result()
            for try await result in group {
                total.delivered += result.delivered
                total.failed += result.failed
                total.deadLettered += result.deadLettered
            }
            return total
        }
    }

    /// Delivers until nothing is due now.
    public func deliverDue() async throws -> Result {
        var total = Result()
        while true {
            let batch = try await deliverBatch()
            total.delivered += batch.delivered
            total.failed += batch.failed
            total.deadLettered += batch.deadLettered
            if batch.delivered + batch.failed < batchSize { return total }
        }
    }

    /// What kind of failure a delivery met, for its record: a class, without the error's text.
    static func failureClass(_ error: any Error) -> String {
        let text = LoggedError.describe(error).lowercased()
        if let error = error as? HTTPClientError, [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) { return "timeout" }
        if text.contains("refused") { return "connection refused" }
        if text.contains("ssl") || text.contains("tls") || text.contains("certificate") || text.contains("handshake") { return "TLS" }
        if text.contains("reset") || text.contains("closed") || text.contains("eof") { return "connection closed" }
        if text.contains("resolve") || text.contains("dns") || text.contains("host") { return "name not resolved" }
        return "network error"
    }

    /// Sends the request, all of it within the request timeout: the receiver's status, and what went wrong if it
    /// was not a 2xx. A receiver that trickles its answer is cut off at the deadline like one that never answers:
    /// the deadline shuts the delivery's client down, which ends whatever is still being read.
    private func exchange(_ request: HTTPClientRequest, address: String?) async -> (status: Int?, failure: String?) {
        let client = makeClient(host: URLComponents(string: request.url)?.host, address: address)
        let deadline = TimeAmount.nanoseconds(Int64(policy.requestTimeout.seconds * 1e9))
        let timedOut = NIOLockedValueBox(false)
        let timer = client.eventLoopGroup.any().scheduleTask(in: deadline) {
            timedOut.withLockedValue { $0 = true }
            client.shutdown { _ in }
        }
        defer {
            timer.cancel()
            client.shutdown { _ in }
        }
        do {
            let response = try await client.execute(request, timeout: deadline)
            let code = Int(response.status.code)
            // The answer's body is read and dropped: the record says what happened, never what the receiver said,
            // so a subscription cannot be used to read back whatever answers at a URL.
            for try await _ in response.body {}
            return (code, (200..<300).contains(code) ? nil : "HTTP \(code)")
        } catch {
            return (nil, timedOut.withLockedValue { $0 } ? "timeout" : Self.failureClass(error))
        }
    }

    private func send(_ delivery: ClaimedDelivery) async throws -> Result {
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "approvals-webhooks/1")
        request.headers.add(name: "X-Approvals-Delivery", value: String(delivery.id))
        request.headers.add(name: "X-Approvals-Event", value: delivery.kind)
        request.headers.add(name: "X-Approvals-Attempt", value: String(delivery.attempt))
        request.headers.add(name: WebhookSignature.header,
                            value: WebhookSignature.sign(body: delivery.body, secret: delivery.secret, timestamp: Int(Date().timeIntervalSince1970)))
        request.body = .bytes(ByteBuffer(bytes: delivery.body))
        let (status, failure): (Int?, String?)
        switch await policy.egress.destination(delivery.url, delivering: true) {
        case let .allowed(address): (status, failure) = await exchange(request, address: address)
        case .refused: (status, failure) = (nil, "destination not allowed")
        }
        let logger = database.logger
        // No failure means the receiver answered 2xx, so there is a status.
        if failure == nil, let status {
            try await database.transaction { try await WebhookRepository.markDelivered(delivery.id, status: status, on: $0, logger: logger) }
            return Result(delivered: 1)
        }
        let reason = failure ?? "no HTTP status"
        let dead = try await database.transaction { connection in
            try await WebhookRepository.markFailed(delivery.id, status: status, error: reason,
                                                   retryAfter: policy.retryDelay(afterAttempt: delivery.attempt),
                                                   maxAttempts: policy.maxAttempts, on: connection, logger: logger)
        }
        metrics.recordWebhookFailure(deadLettered: dead)
        logger.warning("webhook delivery \(delivery.id) attempt \(delivery.attempt) failed\(dead ? " and is dead-lettered" : ""): \(reason)")
        return Result(failed: 1, deadLettered: dead ? 1 : 0)
    }
}

/// The deliverer as a background service: delivers every `interval` until shutdown, owning its HTTP client.
public struct WebhookDeliveryService: Service {
    let database: Database
    let policy: WebhookPolicy
    let metrics: ServerMetrics
    let interval: Duration
    let logger: Logger

    public init(database: Database, policy: WebhookPolicy, metrics: ServerMetrics, interval: Duration, logger: Logger) {
        self.database = database
        self.policy = policy
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let deliverer = WebhookDeliverer(database: database, policy: policy, metrics: metrics)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await deliverer.deliverDue()
                } catch {
                    logger.error("webhooks: delivery batch failed: \(LoggedError.describe(error))")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
