import ApprovalAPI
import ApprovalStore
import Foundation
import Hummingbird
import NIOCore

/// The routes outside `/v1`: liveness, readiness, Prometheus metrics and the API contract itself.
enum HealthRoutes {
    static func add(to router: Router<BasicRequestContext>, context: ServerContext) {
        router.get("/healthz") { _, _ in
            jsonResponse(["status": "alive"], status: .ok)
        }

        router.get("/readyz") { _, _ in
            var checks: [String: String] = [:]
            var ready = true
            do {
                let runner = MigrationRunner(migrations: try Migration.load(from: context.migrationsFolder), logger: context.database.logger)
                switch try await runner.status(context.database.client) {
                case .current:
                    checks["migrations"] = "current"
                    let deferred = try await DeferredIndexes.pending(in: context.database)
                    checks["indexes"] = deferred.isEmpty ? "complete" : "\(deferred.count) deferred by `approvals seed`: run `approvals migrate`"
                    ready = deferred.isEmpty
                case let .pending(files):
                    checks["migrations"] = "pending: \(files.joined(separator: ", "))"
                    ready = false
                }
                checks["database"] = "reachable"
            } catch {
                checks["database"] = "unavailable or drifted: \(error)"
                ready = false
            }
            // Deadlines past a calendar's last covered day are provisional: say how long until that happens.
            let today = context.today
            for calendar in context.registry.catalog.calendars.values {
                let left = calendar.coverageDaysLeft(asOf: today)
                checks["calendar.\(calendar.id)"] = left >= 0
                    ? "covered until \(calendar.coverage.upperBound) (\(left) days left)"
                    : "coverage ended \(calendar.coverage.upperBound): deadlines are provisional; load next year's calendar"
            }
            checks["status"] = ready ? "ready" : "not ready"
            return jsonResponse(checks, status: ready ? .ok : .serviceUnavailable)
        }

        router.get("/metrics") { _, _ in
            if let counts = try? await context.database.read({ try await LeaderReports.itemsByState(on: $0, logger: context.database.logger) }) {
                context.metrics.setItemsByState(counts)
            }
            do {
                let oldest = try await context.database.read { try await DeadlineQueue.oldestDue(on: $0, logger: context.database.logger) }
                context.metrics.setSweeperLag(seconds: max(0, oldest.map { context.clock.now().timeIntervalSince($0) } ?? 0))
                let backlog = try await context.database.read { try await WebhookRepository.backlog(on: $0, logger: context.database.logger) }
                context.metrics.setWebhookBacklog(pending: backlog.pending, oldestDueSeconds: backlog.oldestDueSeconds)
            } catch {
                // The database is unreachable: /readyz says so; the other metrics are still worth serving.
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: context.metrics.registry.emitToBuffer())))
        }

        router.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
    }

    static func jsonResponse(_ fields: [String: String], status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(fields)) ?? Data())))
    }
}
