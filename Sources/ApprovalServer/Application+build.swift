import ApprovalAPI
import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import ServiceLifecycle

/// The one application builder, used by `approvals serve` and by the tests.
/// With `sweepInterval`, the deadline sweeper runs in the background as one of the application's services, and
/// with `webhookInterval` the webhook deliverer.
public func buildApplication(_ context: ServerContext, host: String = "127.0.0.1", port: Int = 8080, sweepInterval: Duration? = nil,
                             webhookInterval: Duration? = nil, webhookPolicy: WebhookPolicy = WebhookPolicy(),
                             logger: Logger = Logger(label: "approvals")) throws -> some ApplicationProtocol {
    let router = Router()
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: RequestMiddleware(metrics: context.metrics))
    HealthRoutes.add(to: router, context: context)
    try Dashboard(context: context).add(to: router)
    try WorkPages(context: context).add(to: router)
    try APIHandler(context: context).registerHandlers(on: router, serverURL: URL(string: "/v1")!, configuration: APIEncoding.configuration,
                                                     middlewares: [APIMiddleware(database: context.database, contract: try ContractValidator.published.get()),
                                                                   StoredStatusMiddleware(context: context)])
    var services: [any Service] = []
    if let sweepInterval {
        services.append(DeadlineSweeperService(sweeper: DeadlineSweeper(context: context), interval: sweepInterval, logger: logger))
    }
    if let webhookInterval {
        services.append(WebhookDeliveryService(database: context.database, policy: webhookPolicy, metrics: context.metrics,
                                               interval: webhookInterval, logger: logger))
    }
    return Application(router: router, server: .http1(configuration: .init(additionalChannelHandlers: [ParserErrorProblemHandler(), ExpectContinueHandler()],
                                                                          idleTimeout: .nanoseconds(Int64(context.settings.idleTimeout.seconds * 1e9)))),
                       configuration: .init(address: .hostname(host, port: port), serverName: "approvals"),
                       services: services, logger: logger)
}
