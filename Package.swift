// swift-tools-version:6.1
import PackageDescription

// The plugin ABI and the Swift SDK live in their own package (Sources/PluginSDK), so plugins,
// in-tree or not, depend on it alone.
let pluginABI: Target.Dependency = .product(name: "PluginABI", package: "PluginSDK")
let pluginSDK: Target.Dependency = .product(name: "PluginSDK", package: "PluginSDK")

let package = Package(
    name: "stargraph-host",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stargraph", targets: ["stargraph"]),
        .executable(name: "stargraph-bench", targets: ["stargraph-bench"]),
        .library(name: "StargraphHost", targets: ["StargraphHost"]),
        // In-tree plugins, loaded by manifests/default.yaml.
        .library(name: "StargraphHello", type: .dynamic, targets: ["HelloPlugin"]),
        .library(name: "StargraphText", type: .dynamic, targets: ["TextPlugin"]),
        .library(name: "StargraphDemoGraphs", type: .dynamic, targets: ["DemoGraphsPlugin"]),
        // Deliberately broken plugins for the ABI-conformance tests (Tests/Plugins).
        .library(name: "SGTestBadMajor", type: .dynamic, targets: ["SGTestBadMajor"]),
        .library(name: "SGTestSmallStruct", type: .dynamic, targets: ["SGTestSmallStruct"]),
        .library(name: "SGTestNoEntry", type: .dynamic, targets: ["SGTestNoEntry"]),
        .library(name: "SGTestMarker", type: .dynamic, targets: ["SGTestMarker"]),
        .library(name: "SGTestDupA", type: .dynamic, targets: ["SGTestDupA"]),
        .library(name: "SGTestDupB", type: .dynamic, targets: ["SGTestDupB"]),
        .library(name: "SGTestBadGraph", type: .dynamic, targets: ["SGTestBadGraph"]),
        .library(name: "SGTestInitFails", type: .dynamic, targets: ["SGTestInitFails"]),
        .library(name: "SGTestFaulty", type: .dynamic, targets: ["SGTestFaulty"]),
    ],
    dependencies: [
        .package(path: "Sources/PluginSDK"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            path: "Sources/CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // sqlite3_config() is variadic, which Swift cannot call: this C shim applies the host's
        // process-wide SQLite settings.
        .target(name: "CSQLiteTuning", path: "Sources/CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The domain every other module speaks: JSON and its canonical form, the graph IR and its
        // YAML loader, the rule language, and the records of runs, steps and events.
        .target(
            name: "StargraphCore",
            dependencies: [
                "CYAML",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Host/Core"
        ),
        // What the engine, scheduler and serve know of storage: the RunStore, RunQueue and
        // WebhookOutbox protocols and the values they exchange. Each backend implements them.
        .target(name: "StargraphStore", dependencies: ["StargraphCore"], path: "Sources/Host/Store"),
        // The run store on SQLite: the only module that imports GRDB. Group commit, the WAL
        // checkpointer and every SQLite migration live here.
        .target(
            name: "StargraphSQLite",
            dependencies: [
                "StargraphCore",
                "StargraphStore",
                "CSQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Host/SQLiteStore"
        ),
        // The hash-chained, optionally signed audit log, its verifier and the Ed25519 key files
        // and JWS tokens it shares with the broker.
        .target(
            name: "StargraphAudit",
            dependencies: [
                "StargraphCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Host/Audit"
        ),
        // The engine: graphs compiled against node kinds, the run loop and its routing, the
        // built-in kinds, replay and counterfactuals, timelines. It knows the store by its protocols.
        .target(
            name: "StargraphEngine",
            dependencies: [
                "StargraphCore",
                "StargraphStore",
                "StargraphAudit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Host/Engine"
        ),
        // Plugins: the manifest, the C ABI handshake and dlopen loader, and the node kinds and
        // graphs plugins provide.
        .target(
            name: "StargraphPlugins",
            dependencies: [
                "StargraphWebhooks",
                "StargraphStore",
                "StargraphCore",
                "StargraphEngine",
                pluginABI,
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Host/Plugins"
        ),
        // The policy broker: its configuration, sources (static, SQLite file, REST), decisions,
        // attestations and its node kind.
        .target(
            name: "StargraphBroker",
            dependencies: [
                "StargraphCore",
                "StargraphAudit",
                "StargraphEngine",
                "StargraphSQLite",
                "StargraphPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Host/Broker"
        ),
        // The run store on PostgreSQL, shared by several hosts: the only module that imports
        // PostgresNIO. It passes the same store conformance checks as the SQLite store.
        .target(
            name: "StargraphPostgres",
            dependencies: [
                "StargraphCore",
                "StargraphStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Host/PostgresStore"
        ),
        // Webhooks: the allow-list and signing of run webhooks, and the service that delivers the
        // store's outbox.
        .target(
            name: "StargraphWebhooks",
            dependencies: [
                "StargraphCore",
                "StargraphStore",
                "StargraphEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Host/Webhooks"
        ),
        // The scheduler: the durable queue's workers, per-graph limits, cron triggers, interrupt
        // timeouts and the controls (cancel, pause, resume, respond, fork) over accepted runs.
        .target(
            name: "StargraphScheduler",
            dependencies: [
                "StargraphCore",
                "StargraphStore",
                "StargraphEngine",
                "StargraphWebhooks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Host/Scheduler"
        ),
        // The composition root: opens a host (store by its location, plugins, broker, engine)
        // for every CLI command and for serve.
        .target(
            name: "StargraphHost",
            dependencies: [
                "StargraphCore",
                "StargraphStore",
                "StargraphSQLite",
                "StargraphAudit",
                "StargraphEngine",
                "StargraphPlugins",
                "StargraphBroker",
                "StargraphScheduler",
                "StargraphWebhooks",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Host",
            exclude: ["Core", "Store", "SQLiteStore", "PostgresStore", "Audit", "Engine", "Plugins", "Broker", "Scheduler", "Webhooks", "Serve"]
        ),
        // The HTTP API: the only target that imports Hummingbird.
        .target(
            name: "StargraphServe",
            dependencies: [
                "StargraphHost",
                "StargraphCore",
                "StargraphStore",
                "StargraphAudit",
                "StargraphEngine",
                "StargraphPlugins",
                "StargraphBroker",
                "StargraphScheduler",
                "StargraphWebhooks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            path: "Sources/Host/Serve"
        ),
        // In-tree plugins build on the SDK package like out-of-tree ones; none links StargraphHost.
        .target(name: "HelloPlugin", dependencies: [pluginSDK], path: "Plugins/Hello"),
        .target(name: "TextPlugin", dependencies: [pluginABI], path: "Plugins/Text"),
        .target(name: "DemoGraphsPlugin", dependencies: [pluginSDK], path: "Plugins/DemoGraphs"),
        .target(name: "SGTestBadMajor", dependencies: [pluginABI], path: "Tests/Plugins/BadMajor", publicHeadersPath: "."),
        .target(name: "SGTestSmallStruct", dependencies: [pluginABI], path: "Tests/Plugins/SmallStruct", publicHeadersPath: "."),
        .target(name: "SGTestNoEntry", dependencies: [pluginABI], path: "Tests/Plugins/NoEntry", publicHeadersPath: "."),
        .target(name: "SGTestMarker", dependencies: [pluginABI], path: "Tests/Plugins/Marker", publicHeadersPath: "."),
        .target(name: "SGTestDupA", dependencies: [pluginABI], path: "Tests/Plugins/DupA", publicHeadersPath: "."),
        .target(name: "SGTestDupB", dependencies: [pluginABI], path: "Tests/Plugins/DupB", publicHeadersPath: "."),
        .target(name: "SGTestBadGraph", dependencies: [pluginABI], path: "Tests/Plugins/BadGraph", publicHeadersPath: "."),
        .target(name: "SGTestInitFails", dependencies: [pluginABI], path: "Tests/Plugins/InitFails", publicHeadersPath: "."),
        .target(name: "SGTestFaulty", dependencies: [pluginABI], path: "Tests/Plugins/Faulty", publicHeadersPath: "."),
        .executableTarget(
            name: "stargraph",
            dependencies: [
                "StargraphHost",
                "StargraphServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "stargraph-bench",
            dependencies: [
                "StargraphHost",
                "StargraphCore",
                "StargraphStore",
                "StargraphSQLite",
            ],
            path: "Sources/stargraph-bench"
        ),
        .testTarget(
            name: "StargraphHostTests",
            dependencies: [
                "StargraphHost", "StargraphServe", "StargraphPostgres", pluginSDK,
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
