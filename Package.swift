// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "SignalLog",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SegmentLog", targets: ["SegmentLog"]),
        .library(name: "SignalLog", targets: ["SignalLog"]),
        .library(name: "SignalLogJetStream", targets: ["SignalLogJetStream"]),
        .executable(name: "signallog", targets: ["signallog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // `swift package generate-documentation` builds the DocC catalogs.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            path: "Sources/CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        .target(name: "CCRC32C", path: "Sources/CCRC32C"),
        .target(name: "CWriteback", path: "Sources/CWriteback"),
        .target(
            name: "SegmentLog",
            dependencies: ["CLZ4", "CCRC32C", "CWriteback"],
            path: "Sources/SegmentLog"
        ),
        .target(
            name: "SignalLog",
            dependencies: [
                "SegmentLog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/SignalLog"
        ),
        // Mirror and restore through NATS JetStream; the only target on SwiftNIO,
        // so users of SegmentLog and SignalLog never build it.
        .target(
            name: "SignalLogJetStream",
            dependencies: [
                "SegmentLog",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/SignalLogJetStream"
        ),
        .executableTarget(
            name: "signallog",
            dependencies: [
                "SegmentLog",
                "SignalLog",
                "SignalLogJetStream",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/signallog"
        ),
        // Child processes that the crash tests SIGKILL; never shipped as products.
        .target(name: "TestSupport", dependencies: ["SegmentLog"], path: "tools/test-support"),
        .executableTarget(name: "slog-crash-child", dependencies: ["SegmentLog", "TestSupport"], path: "tools/crash-child"),
        .executableTarget(name: "slog-fixture-gen", dependencies: ["SegmentLog"], path: "tools/fixture-gen"),
        .executableTarget(name: "slog-signal-fixture-gen", dependencies: ["SignalLog"], path: "tools/signal-fixture-gen"),
        .executableTarget(name: "slog-node-child", dependencies: ["SignalLog", "SegmentLog"], path: "tools/node-child"),
        .testTarget(name: "SegmentLogTests", dependencies: ["SegmentLog", "CCRC32C", "TestSupport"], path: "Tests/SegmentLogTests"),
        .testTarget(name: "FaultTests", dependencies: ["SegmentLog", "TestSupport", "slog-crash-child"], path: "Tests/FaultTests"),
        .testTarget(name: "SignalLogTests", dependencies: ["SignalLog", "SegmentLog", "TestSupport", "slog-node-child"], path: "Tests/SignalLogTests"),
        .testTarget(name: "CLITests", dependencies: ["signallog", "TestSupport"], path: "Tests/CLITests"),
        .testTarget(name: "JetStreamTests", dependencies: ["SignalLogJetStream", "SegmentLog", "TestSupport", "signallog"], path: "Tests/JetStreamTests"),
    ],
    swiftLanguageModes: [.v6]
)
