// swift-tools-version:6.1
import PackageDescription

/// The SignalLog benchmark: a package of its own so that users of the
/// library never build SQLite bindings or benchmark code.
let package = Package(
    name: "signallog-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The main package, by path. The name is explicit because a path
        // dependency is otherwise named after its folder, which differs in CI clones.
        .package(name: "SignalLog", path: "../.."),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // liblz4 for the in-memory compression bound (the engine's own LZ4
        // wrapper is internal to SegmentLog).
        .systemLibrary(
            name: "CBenchLZ4",
            path: "Sources/CBenchLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        .executableTarget(
            name: "signallog-bench",
            dependencies: [
                "CBenchLZ4",
                .product(name: "SegmentLog", package: "SignalLog"),
                .product(name: "SignalLog", package: "SignalLog"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Sources/signallog-bench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
