// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "gatewaytape",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatewaytape", targets: ["gatewaytape"]),
        .library(name: "GatewayServer", targets: ["GatewayServer"]),
        .library(name: "GatewayModel", targets: ["GatewayModel"]),
        .library(name: "GatewayRecording", targets: ["GatewayRecording"]),
        .library(name: "GatewayWorld", targets: ["GatewayWorld"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Protocol values, payload model, fixtures and the recording sink protocol. Only NIOCore (frames
        // are handed to the recorder as slices of the buffers that were sent, without a copy).
        .target(
            name: "GatewayModel", dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // zlib-stream and zstd-stream transport compression.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "GatewayCompression", dependencies: ["CZlib"], swiftSettings: swiftSettings),
        // Scenario files (JSON or YAML): rules, validation and the trigger-matching state machine.
        .target(
            name: "GatewayScenario",
            dependencies: ["GatewayModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        // SQLite recordings: writer, reader, export/import.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .target(
            name: "GatewayRecording",
            dependencies: ["GatewayModel", "CSQLite", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // A session's world: the REST routes, Discord's rules and errors, the events actions cause.
        .target(
            name: "GatewayWorld", dependencies: ["GatewayModel", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // The gateway, REST and control API on one port.
        .target(
            name: "GatewayServer",
            dependencies: [
                "GatewayModel",
                "GatewayCompression",
                "GatewayWorld",
                .product(name: "MultipartKit", package: "multipart-kit"),
                "GatewayScenario",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // `gatewaytape proxy`: a bot's REST and gateway forwarded to an upstream Discord, served and
        // recorded by a GatewayServer in proxy mode.
        .target(
            name: "GatewayProxy",
            dependencies: [
                "GatewayModel",
                "GatewayServer",
                "GatewayScenario",
                "GatewayCompression",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Comparing a bot's frames across recordings (diff, replay --verify).
        .target(name: "GatewayDiff", dependencies: ["GatewayModel", "GatewayRecording", "GatewayWorld"], swiftSettings: swiftSettings),
        // A recorded session as one self-contained HTML page (report, replay --report).
        .target(
            name: "GatewayReport", dependencies: ["GatewayModel", "GatewayRecording", "GatewayDiff"],
            swiftSettings: swiftSettings),
        // Replaying a recorded session to a live bot.
        .target(
            name: "GatewayReplay",
            dependencies: [
                "GatewayModel", "GatewayRecording", "GatewayDiff", "GatewayServer", "GatewayScenario", "GatewayWorld",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command line: parses, wires modules together, exits.
        .executableTarget(
            name: "gatewaytape",
            dependencies: [
                "GatewayModel",
                "GatewayServer",
                "GatewayRecording",
                "GatewayDiff",
                "GatewayReplay",
                "GatewayReport",
                "GatewayScenario",
                "GatewayProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A WebSocket client for tests and benchmarks (raw frames, close codes, compression).
        .target(
            name: "GatewayTestClient",
            dependencies: [
                "GatewayCompression",
                "GatewayModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/GatewayTestClient",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayServerTests",
            dependencies: [
                "GatewayServer", "GatewayModel", "GatewayCompression", "GatewayTestClient", "GatewayWorld", "GatewayScenario",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Tests that run the built `gatewaytape` binary as a process.
        .testTarget(
            name: "GatewayEndToEndTests",
            dependencies: ["GatewayRecording", "GatewayModel", "GatewayTestClient"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayProxyTests",
            dependencies: [
                "GatewayProxy", "GatewayServer", "GatewayModel", "GatewayRecording", "GatewayScenario", "GatewayTestClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "GatewayModelTests", dependencies: ["GatewayModel"], swiftSettings: swiftSettings),
        .testTarget(name: "GatewayWorldTests", dependencies: ["GatewayWorld", "GatewayModel"], swiftSettings: swiftSettings),
        .testTarget(name: "GatewayScenarioTests", dependencies: ["GatewayScenario", "GatewayModel"], swiftSettings: swiftSettings),
        .testTarget(name: "GatewayCompressionTests", dependencies: ["GatewayCompression"], swiftSettings: swiftSettings),
        .testTarget(
            name: "GatewayDiffTests", dependencies: ["GatewayDiff", "GatewayRecording", "GatewayModel", "GatewayTestClient"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GatewayReplayTests",
            dependencies: [
                "GatewayReplay", "GatewayDiff", "GatewayRecording", "GatewayServer", "GatewayModel", "GatewayTestClient", "GatewayScenario", "GatewayWorld",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayReportTests", dependencies: ["GatewayReport", "GatewayRecording", "GatewayDiff", "GatewayModel"],
            swiftSettings: swiftSettings),
        .testTarget(name: "GatewayRecordingTests", dependencies: ["GatewayRecording", "GatewayModel", "CSQLite"], swiftSettings: swiftSettings),
        // Benchmarks (run by hand, see Tools/README.md).
        .executableTarget(
            name: "recorder-bench",
            dependencies: ["GatewayRecording", "GatewayModel"],
            path: "Tools/Benchmarks/recorder-bench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "diff-bench",
            dependencies: ["GatewayDiff", "GatewayRecording", "GatewayModel"],
            path: "Tools/Benchmarks/diff-bench",
            swiftSettings: swiftSettings
        ),
        // Fuzz targets (Tools/fuzz/README.md): libFuzzer programs when built with -DFUZZING and
        // -sanitize=fuzzer, seed-corpus replayers otherwise.
        .target(name: "FuzzDriver", path: "Tools/fuzz/FuzzDriver", swiftSettings: swiftSettings),
        .executableTarget(
            name: "fuzz-json", dependencies: ["FuzzDriver", "GatewayModel"], path: "Tools/fuzz/fuzz-json",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "fuzz-recording", dependencies: ["FuzzDriver", "GatewayRecording"], path: "Tools/fuzz/fuzz-recording",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "fuzz-frame",
            dependencies: [
                "FuzzDriver", "GatewayServer", "GatewayModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Tools/fuzz/fuzz-frame", swiftSettings: swiftSettings),
        .executableTarget(
            name: "fuzz-http",
            dependencies: [
                "FuzzDriver", "GatewayServer", "GatewayModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tools/fuzz/fuzz-http", swiftSettings: swiftSettings),
        .executableTarget(
            name: "gateway-bench",
            dependencies: [
                "GatewayServer",
                "GatewayReplay",
                "GatewayRecording",
                "GatewayModel",
                "GatewayCompression",
                "GatewayTestClient",
                "GatewayScenario",
                "GatewayProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tools/Benchmarks/gateway-bench",
            swiftSettings: swiftSettings
        ),
    ]
)
