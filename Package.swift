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
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        .target(
            name: "ApprovalCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "approvals",
            dependencies: [
                "ApprovalCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ApprovalCoreTests",
            dependencies: [
                "ApprovalCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
