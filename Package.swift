// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "approvals",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "approvals", targets: ["approvals"]),
        .library(name: "ApprovalCore", targets: ["ApprovalCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .target(
            name: "ApprovalCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "ApprovalStore",
            dependencies: [
                "ApprovalCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // PostgresNIO's pool: its error when no connection can be made (DatabaseOutage).
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ApprovalAPI",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            // Also a resource, so the server can publish its own contract at /openapi.yaml.
            resources: [.copy("openapi.yaml")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .target(
            name: "ApprovalServer",
            dependencies: [
                "ApprovalCore",
                "ApprovalStore",
                "ApprovalAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Webhook deliveries; already in the graph through HummingbirdTesting.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                // The contract validator reads openapi.yaml.
                .product(name: "Yams", package: "Yams"),
            ],
            // The dashboard's pages.
            resources: [.copy("Templates")]
        ),
        // The province generator and the demo data, development tools: linked by the CLI (and tests) only, never by
        // the server library.
        .target(
            name: "ApprovalSeed",
            dependencies: [
                "ApprovalCore",
                "ApprovalStore",
                "ApprovalAPI",
                "ApprovalServer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "approvals",
            dependencies: [
                "ApprovalCore",
                "ApprovalStore",
                "ApprovalServer",
                "ApprovalSeed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What the tests share: a fresh database per test, cloned from a template migrated once.
        .target(
            name: "ApprovalTestSupport",
            dependencies: ["ApprovalStore", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            path: "Tests/ApprovalTestSupport"
        ),
        .testTarget(
            name: "ApprovalCoreTests",
            dependencies: [
                "ApprovalCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "ApprovalStoreTests",
            dependencies: ["ApprovalCore", "ApprovalStore", "ApprovalTestSupport", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "ApprovalServerTests",
            dependencies: [
                "ApprovalServer",
                "ApprovalStore",
                "ApprovalAPI",
                "ApprovalCore",
                "ApprovalSeed",
                "ApprovalTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
