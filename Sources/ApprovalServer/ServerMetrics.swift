import ApprovalCore
import Prometheus

/// The server's Prometheus metrics: requests by route and status and their latency, items by state, and the
/// deadline engine's work (default approvals by reason and department, escalations, sweeper lag), and the
/// webhook outbox (backlog, failures).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    static let buckets: [Duration] = [.milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                      .seconds(2.5), .seconds(5)]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route and status"),
                             labels: labels).increment()
        registry.makeDurationHistogram(descriptor: .init(metricName: "http_request_duration", unitName: "seconds",
                                                         helpText: "HTTP request latency by route"),
                                       labels: [("route", route), ("method", method)], buckets: Self.buckets).record(duration)
    }

    func recordDefaultApproval(reason: String, department: String) {
        registry.makeCounter(descriptor: .init(metricName: "default_approvals", unitName: "total",
                                               helpText: "Default approvals (超时默认 timeout, 缺席默认 absence) by department"),
                             labels: [("reason", reason), ("department", department)]).increment()
    }

    func recordEscalation(department: String) {
        registry.makeCounter(descriptor: .init(metricName: "escalations", unitName: "total",
                                               helpText: "Timed-out or absent items escalated instead of approved"),
                             labels: [("department", department)]).increment()
    }

    /// Now minus the oldest due instant not yet processed: how far the sweepers are behind.
    func setSweeperLag(seconds: Double) {
        registry.makeGauge(descriptor: .init(metricName: "sweeper_lag", unitName: "seconds",
                                             helpText: "Now minus the oldest unprocessed due instant"), labels: []).set(seconds)
    }

    func recordWebhookFailure(deadLettered: Bool) {
        registry.makeCounter(descriptor: .init(metricName: "webhook_delivery_failures", unitName: "total",
                                               helpText: "Failed webhook delivery attempts; outcome retry or dead_letter"),
                             labels: [("outcome", deadLettered ? "dead_letter" : "retry")]).increment()
    }

    /// The notification outbox's webhook backlog: deliveries pending, and how long the oldest due one has waited.
    func setWebhookBacklog(pending: Int, oldestDueSeconds: Double) {
        registry.makeGauge(descriptor: .init(metricName: "webhook_deliveries_pending", unitName: "",
                                             helpText: "Webhook deliveries not yet delivered or dead-lettered"), labels: []).set(Double(pending))
        registry.makeGauge(descriptor: .init(metricName: "webhook_backlog_age", unitName: "seconds",
                                             helpText: "How long the oldest due webhook delivery has waited"), labels: []).set(oldestDueSeconds)
    }

    /// Status reads by where the answer came from: `stored` (StoredStatusMiddleware) or `computed`.
    func recordStatusAnswer(stored: Bool) {
        registry.makeCounter(descriptor: .init(metricName: "status_answers", unitName: "total",
                                               helpText: "Project status reads, answered from the stored answer or computed"),
                             labels: [("source", stored ? "stored" : "computed")]).increment()
    }

    /// Every tallied state gets a value, so a state that emptied shows 0 rather than its last count.
    func setItemsByState(_ counts: [String: Int]) {
        for state in ItemState.allCases.filter({ ![.notApplicable, .exempted].contains($0) }).map(\.rawValue) {
            let count = counts[state] ?? 0
            registry.makeGauge(descriptor: .init(metricName: "items", unitName: "", helpText: "Items of all projects by state (those that apply and were not exempted)"),
                               labels: [("state", state)]).set(Double(count))
        }
    }
}
