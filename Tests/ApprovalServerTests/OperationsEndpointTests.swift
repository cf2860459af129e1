import Foundation
import Testing

@Suite("Health, readiness, metrics, the contract and request ids", .timeLimit(.minutes(5)))
struct OperationsEndpointTests {
    @Test func healthReadinessAndContract() async throws {
        try await TestServer.run { server in
            #expect(try await server.call(.get, "/healthz", as: nil).status == 200)
            let ready = try await server.call(.get, "/readyz", as: nil)
            #expect(ready.status == 200)
            #expect(ready.string("migrations") == "current")
            #expect(ready.string("indexes") == "complete")
            #expect(ready.string("calendar.cn-mainland")?.contains("covered until 2026-12-31 (304 days left)") == true)
            let spec = try await server.call(.get, "/openapi.yaml", as: nil)
            #expect(spec.status == 200)
            #expect(spec.text.hasPrefix("openapi: 3.1.0"))
            #expect(spec.text.contains("operationId: performItemAction"))
        }
    }

    @Test func readinessFailsWhenAMigrationIsPending() async throws {
        try await TestServer.run { server in
            try await server.sql("DELETE FROM schema_migrations")
            let ready = try await server.call(.get, "/readyz", as: nil)
            #expect(ready.status == 503)
            #expect(ready.string("migrations")?.hasPrefix("pending: 0001_initial.sql") == true)
        }
    }

    @Test func requestIDsAreReturnedAndEchoed() async throws {
        try await TestServer.run { server in
            let generated = try await server.call(.get, "/v1/me", as: .admin)
            #expect(generated.header("X-Request-Id")?.count == 36)
            let echoed = try await server.call(.get, "/v1/me", as: nil, headers: ["X-Request-Id": "abc-123"])
            #expect(echoed.header("X-Request-Id") == "abc-123")
            #expect(echoed.string("requestId") == "abc-123")
        }
    }

    @Test func metricsCountRequestsByRouteAndItemsByState() async throws {
        try await TestServer.run { server in
            _ = try await server.createEnterpriseProject()
            _ = try await server.call(.get, "/v1/projects/nope", as: .admin)
            let metrics = try await server.call(.get, "/metrics", as: nil)
            #expect(metrics.status == 200)
            #expect(metrics.text.contains(#"http_requests_total{route="/v1/projects",method="POST",status="201"} 1"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"http_requests_total{route="/v1/projects/{code}",method="GET",status="404"} 1"#))
            #expect(metrics.text.contains("http_request_duration_seconds_bucket"))
            #expect(metrics.text.contains(#"items{state="ready"}"#))
        }
    }
}
