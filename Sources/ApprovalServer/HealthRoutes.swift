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
                let status = try await runner.status(context.database)
                switch status {
                case .current, .ahead:
                    // A newer release may have migrated first (a rolling upgrade): this one keeps serving meanwhile.
                    if case let .ahead(files) = status {
                        checks["migrations"] = "current; newer ones from a newer release: \(files.joined(separator: ", "))"
                    } else {
                        checks["migrations"] = "current"
                    }
                    let deferred = try await DeferredIndexes.pending(in: context.database)
                    checks["indexes"] = deferred.isEmpty ? "complete" : "\(deferred.count) deferred by `approvals seed`: run `approvals migrate`"
                    ready = deferred.isEmpty
                case let .pending(files):
                    checks["migrations"] = "pending: \(files.joined(separator: ", "))"
                    ready = false
                }
                // After a failover this replica's pool may reach a standby until HAProxy moves it: not ready then.
                if try await context.database.read({ try await DatabaseOutage.takesWrites(on: $0, logger: context.database.logger) }) {
                    checks["database"] = "reachable"
                } else {
                    checks["database"] = "takes no writes (a standby, or read-only)"
                    ready = false
                }
            } catch {
                // The reason goes to the log, not to whoever asks: error texts name hosts, users and tables.
                context.database.logger.error("readyz: \(LoggedError.describe(error))")
                checks["database"] = error is MigrationError ? "schema differs from the migrations: see the server's log"
                                                             : "unreachable: see the server's log"
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

        router.get("/metrics") { request, _ in
            if let token = context.settings.metricsToken, !MetricsToken.matches(request.headers[.authorization], token) {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Bearer"
                return Response(status: .unauthorized, headers: headers)
            }
            await context.gauges.refreshIfDue(context)
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

/// `APPROVALS_METRICS_TOKEN`, compared in constant time.
enum MetricsToken {
    static func matches(_ authorization: String?, _ token: String) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let given = Array(authorization.dropFirst(7).utf8), expected = Array(token.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
