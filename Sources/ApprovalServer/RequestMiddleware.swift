import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id (the caller's `X-Request-Id`, or a new one), logs it with the id, returns the id
/// in the response, and counts it in the metrics by route and status. An answer read from a hot standby says how
/// stale it may be (`Data-Staleness`, whole seconds; 0 when read from the primary).
struct RequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    static var requestIDHeader: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
    static var stalenessHeader: HTTPField.Name { HTTPField.Name("Data-Staleness")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let supplied = request.headers[Self.requestIDHeader].flatMap { $0.count <= 128 && !$0.isEmpty ? $0 : nil }
        let requestID = supplied ?? UUID().uuidString.lowercased()
        var logger = context.logger
        logger[metadataKey: "request_id"] = .string(requestID)
        let route = context.endpointPath ?? "unmatched"
        var response: Response
        let staleness = StalenessRecord()
        do {
            response = try await RequestScope.$requestID.withValue(requestID) {
                try await RequestScope.$logger.withValue(logger) {
                    try await StalenessRecord.$current.withValue(staleness) { try await next(request, context) }
                }
            }
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[Self.requestIDHeader] = requestID
        if let seconds = staleness.seconds, response.status.code < 300 { response.headers[Self.stalenessHeader] = String(seconds) }
        let duration = ContinuousClock.now - started
        let status = response.status.code
        metrics.record(route: context.endpointPath ?? route, method: request.method.rawValue, status: status, duration: duration)
        logger.info("\(request.method) \(request.uri.path) \(status)", metadata: [
            "duration_ms": .stringConvertible((Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000).rounded()),
        ])
        return response
    }
}
