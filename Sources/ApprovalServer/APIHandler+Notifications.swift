import ApprovalAPI
import ApprovalStore
import Foundation
import OpenAPIRuntime
import PostgresNIO

/// The caller's notifications and webhooks, and the webhooks' deliveries (issue 4 §5).
extension APIHandler {
    func listNotifications(_ input: Operations.ListNotifications.Input) async throws -> Operations.ListNotifications.Output {
        let user = try currentUser()
        let limit = Self.pageLimit(input.query.limit)
        let stored = try await database.read { connection in
            try await NotificationOutbox.inbox(userID: user.id, before: input.query.before, limit: limit, on: connection, logger: context.logger)
        }
        // The stored body is the webhook body, so both channels say the same thing.
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let notifications = try stored.map { try decoder.decode(Components.Schemas.Notification.self, from: Data($0.body.canonicalText.utf8)) }
        return .ok(.init(body: .json(.init(notifications: notifications))))
    }

    func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        guard case let .json(request) = input.body else { throw APIError.badRequest("expected application/json") }
        if let refusal = await context.webhookEgress.refusal(request.url, delivering: false) { throw APIError.invalid(field: "url", refusal) }
        let webhook = try await idempotentWrite(key: input.headers.idempotencyKey, operation: "createWebhook", target: "",
                                                request: request, status: 201) { connection, user in
            // Each subscription multiplies every notification into outbound requests: a user keeps a few.
            let held = try await WebhookRepository.subscriptionsForUpdate(userID: user.id, on: connection, logger: context.logger).count
            guard held < Self.webhooksPerUser else {
                throw APIError.conflict("you already have \(held) webhooks, the most one user may keep; delete one first",
                                        type: "/problems/webhook-limit")
            }
            return Self.webhookBody(try await WebhookRepository.subscribe(userID: user.id, url: request.url, secret: request.secret,
                                                                   on: connection, logger: context.logger))
        }
        return .created(.init(body: .json(webhook)))
    }

    static let webhooksPerUser = 10

    func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let user = try currentUser()
        let webhooks = try await database.read { connection in
            try await WebhookRepository.subscriptions(userID: user.role == .admin ? nil : user.id, on: connection, logger: context.logger)
        }
        return .ok(.init(body: .json(.init(webhooks: webhooks.map(Self.webhookBody)))))
    }

    func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        let user = try currentUser()
        try await database.transaction { connection in
            let subscription = try await ownedWebhook(input.path.webhookId, user: user, on: connection)
            try await WebhookRepository.unsubscribe(subscription.id, on: connection, logger: context.logger)
        }
        return .noContent(.init())
    }

    func listWebhookDeliveries(_ input: Operations.ListWebhookDeliveries.Input) async throws -> Operations.ListWebhookDeliveries.Output {
        let user = try currentUser()
        let limit = Self.pageLimit(input.query.limit)
        let deliveries = try await database.read { connection in
            let subscription = try await ownedWebhook(input.path.webhookId, user: user, on: connection)
            return try await WebhookRepository.deliveries(subscriptionID: subscription.id,
                                                          state: input.query.state.map { WebhookDelivery.State(rawValue: $0.rawValue)! },
                                                          limit: limit, on: connection, logger: context.logger)
        }
        return .ok(.init(body: .json(.init(deliveries: deliveries.map(Self.deliveryBody)))))
    }

    func redriveWebhookDeliveries(_ input: Operations.RedriveWebhookDeliveries.Input) async throws -> Operations.RedriveWebhookDeliveries.Output {
        let user = try currentUser()
        var ids: [Int64]?
        if case let .json(request)? = input.body { ids = request.deliveries }
        let redriven = try await database.transaction { connection in
            let subscription = try await ownedWebhook(input.path.webhookId, user: user, on: connection)
            guard subscription.active else {
                throw APIError.conflict("webhook \(subscription.id) was stopped; subscribe again to receive deliveries")
            }
            // Re-driving sends requests on the caller's word: once a minute per webhook at most.
            if let wait = try await WebhookRepository.claimRedrive(subscriptionID: subscription.id, interval: Self.redriveInterval,
                                                                   on: connection, logger: context.logger) {
                let seconds = max(1, Int(wait.rounded(.up)))
                throw APIError.tooSoon("webhook \(subscription.id) was re-driven less than a minute ago; try again in \(seconds) s", retryAfter: seconds)
            }
            let redriven = try await WebhookRepository.redrive(subscriptionID: subscription.id, ids: ids, on: connection, logger: context.logger)
            // Naming a delivery that cannot be re-driven is an error, not a silent skip.
            if let ids, let missing = ids.first(where: { !redriven.contains($0) }) {
                throw APIError.conflict("delivery \(missing) is not a delivered or dead delivery of webhook \(subscription.id); pending deliveries are already queued")
            }
            return redriven
        }
        return .ok(.init(body: .json(.init(redriven: redriven.sorted()))))
    }

    static let redriveInterval: Double = 60

    /// The subscription, when it is the caller's (or the caller is an admin); 404 otherwise.
    private func ownedWebhook(_ id: Int64, user: User, on connection: PostgresConnection) async throws -> WebhookSubscription {
        guard let subscription = try await WebhookRepository.subscription(id, on: connection, logger: context.logger),
              subscription.userID == user.id || user.role == .admin else {
            throw APIError.notFound("webhook \(id)", field: "webhookId")
        }
        return subscription
    }

    /// The contract bounds a page's limit (1 to 500); its default is 100.
    static func pageLimit(_ limit: Int?) -> Int { limit ?? 100 }

    static func webhookBody(_ subscription: WebhookSubscription) -> Components.Schemas.Webhook {
        .init(id: subscription.id, user: subscription.userID, url: subscription.url, createdAt: subscription.createdAt)
    }

    static func deliveryBody(_ delivery: WebhookDelivery) -> Components.Schemas.WebhookDelivery {
        .init(id: delivery.id, notification: delivery.notificationID, kind: delivery.kind, project: delivery.projectCode,
              state: .init(rawValue: delivery.state.rawValue)!, attempts: delivery.attempts, nextAttemptAt: delivery.nextAttemptAt,
              lastAttemptAt: delivery.lastAttemptAt, lastStatus: delivery.lastStatus, lastError: delivery.lastError,
              deliveredAt: delivery.deliveredAt)
    }
}
