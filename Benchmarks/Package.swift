// swift-tools-version: 6.1
// Micro-benchmarks of the engine core (package-benchmark), kept in a package of their own so the server's build
// and CI do not pay for the benchmark framework. Run from this folder: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "approvals-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "approvals", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "ApprovalCore", package: "approvals"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
