// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "stargraph-host",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stargraph", targets: ["stargraph"]),
        .executable(name: "stargraph-bench", targets: ["stargraph-bench"]),
        .library(name: "StargraphHost", targets: ["StargraphHost"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            path: "Sources/CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "StargraphHost",
            dependencies: [
                "CYAML",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Host"
        ),
        .executableTarget(
            name: "stargraph",
            dependencies: [
                "StargraphHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "stargraph-bench",
            dependencies: [
                "StargraphHost",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Sources/stargraph-bench"
        ),
        .testTarget(
            name: "StargraphHostTests",
            dependencies: ["StargraphHost"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
