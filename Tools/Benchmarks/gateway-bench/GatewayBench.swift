import ArgumentParser
import Foundation
import GatewayRecording
import GatewayReplay

/// Benchmarks of the gateway's hot paths (see Tools/README.md). Build in release mode:
/// `swift build -c release --product gateway-bench`.
@main
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-bench",
        abstract: "Measure gatewaytape's per-dispatch and per-connection costs.",
        subcommands: [
            Throughput.self, Idle.self, Soak.self, ReplayTiming.self, REST.self, ProxyThroughput.self, Receive.self, Heartbeats.self,
            ReplayClient.self, SoakBots.self, RESTLoad.self, RESTReceive.self, FastUpstreamServer.self,
        ]
    )

    struct Throughput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dispatches of ~1 KB MESSAGE_CREATE to one client as fast as it reads.")
        @Option var count = 300_000
        @Option(help: "zlib-stream or zstd-stream") var compress: String?
        @Flag(help: "Record every frame into a SQLite file (as serve --record) and count them afterwards.") var record = false
        @Flag(help: "Arm a scenario with a `dispatched` rule that never fires, so every written dispatch is checked against it.")
        var scenario = false

        func run() async throws {
            let scenario = scenario ? ThroughputBenchmark.watchingScenario : nil
            var result: [String: Double]
            if record {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("throughput-\(getpid()).sqlite").path
                defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
                let recorder = try Recorder(path: path, mode: .serve, overwrite: true)
                result = try await ThroughputBenchmark.run(count: count, compress: compress, sink: recorder, scenario: scenario)
                try await recorder.finish()
                let frames = try RecordingReader(path: path).frames(sessionID: nil)
                result["recorded_dispatch_frames"] = Double(frames.count { $0.event == "MESSAGE_CREATE" })
            } else {
                result = try await ThroughputBenchmark.run(count: count, compress: compress, sink: nil, scenario: scenario)
            }
            printResult(
                "throughput" + (compress.map { " (\($0))" } ?? " (plain JSON)") + (record ? " --record" : "") + (scenario != nil ? " --scenario" : ""),
                result)
        }
    }

    struct ProxyThroughput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proxy", abstract: "Through the proxy: a fast zlib-stream upstream → proxy → one plain-JSON client, ~1.2 KB MESSAGE_CREATEs.")
        @Option var count = 300_000
        @Flag(help: "The proxy records every frame into a SQLite file (as proxy --record); the recorded frames are counted.") var record = false
        @Flag(help: "Arm a scenario with a `dispatched` rule that never fires, so every relayed dispatch is checked against it.")
        var scenario = false

        func run() async throws {
            let scenario = scenario ? ThroughputBenchmark.watchingScenario : nil
            var result: [String: Double]
            if record {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(getpid()).sqlite").path
                defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
                let recorder = try Recorder(path: path, mode: .proxy, overwrite: true)
                result = try await ProxyBenchmark.run(count: count, sink: recorder, scenario: scenario)
                try await recorder.finish()
                let frames = try RecordingReader(path: path).frames(sessionID: nil)
                result["recorded_dispatch_frames"] = Double(frames.count { $0.event == "MESSAGE_CREATE" })
            } else {
                result = try await ProxyBenchmark.run(count: count, sink: nil, scenario: scenario)
            }
            printResult(
                "proxy (zlib-stream upstream, plain JSON client)" + (record ? " --record" : "") + (scenario != nil ? " --scenario" : ""), result)
        }
    }

    struct FastUpstreamServer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fast-upstream", abstract: "(child process) the upstream of `proxy`.", shouldDisplay: false)
        @Option var count: Int
        func run() async throws { try await FastUpstream.serve(count: count) }
    }

    struct Idle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Identified idle connections heartbeating: missed ACKs, ACK RTT, RSS per connection.")
        @Option var connections = 5_000
        @Option var seconds = 60
        @Option(name: .customLong("heartbeat-interval")) var heartbeatInterval = 1_000
        @Flag(name: .customLong("distinct-sessions"), help: "A token (so a session) per connection, as many CI jobs sharing one server; default: one session's connections.")
        var distinctSessions = false

        func run() async throws {
            let result = try await IdleConnectionsBenchmark.run(
                connections: connections, seconds: seconds, heartbeatInterval: heartbeatInterval, distinctSessions: distinctSessions)
            printResult("idle connections" + (distinctSessions ? " (a session each)" : " (one session)"), result)
        }
    }

    struct Soak: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connections (a session each) for minutes with dispatches, forced resumes and REST calls: RSS growth, fds, missed ACKs.")
        @Option var connections = 1_000
        @Option var seconds = 600
        @Option(name: .customLong("heartbeat-interval")) var heartbeatInterval = 5_000
        @Option(name: .customLong("dispatches-per-second")) var dispatchesPerSecond = 200
        @Option(name: .customLong("rest-per-second")) var restPerSecond = 20
        @Option(name: .customLong("resumes-per-minute")) var resumesPerMinute = 30
        @Option(name: .customLong("warm-up-seconds"), help: "The warm-up round before the measured one.") var warmUpSeconds = 30

        func run() async throws {
            let load = SoakBenchmark.Load(
                connections: connections, dispatchesPerSecond: dispatchesPerSecond, restPerSecond: restPerSecond, resumesPerMinute: resumesPerMinute)
            let result = try await SoakBenchmark.run(load: load, seconds: seconds, warmUpSeconds: warmUpSeconds, heartbeatInterval: heartbeatInterval)
            printResult("soak", result)
        }
    }

    struct SoakBots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "soak-client", abstract: "(child process) the bots of `soak`.", shouldDisplay: false)
        @Option var port: Int
        @Option var connections: Int
        @Option var seconds: Int
        @Option(name: .customLong("rest-per-second")) var restPerSecond: Int
        func run() async throws { try await SoakClient.run(port: port, connections: connections, seconds: seconds, restPerSecond: restPerSecond) }
    }

    struct ReplayTiming: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay", abstract: "Replay lateness at the client against the scaled schedule; --max-speed: throughput.")
        @Option var count = 2_000
        @Option(help: "Events per second in the generated recording.") var rate = 50.0
        @Option var speed = 1.0
        @Flag(name: .customLong("max-speed")) var maxSpeed = false
        @Flag(help: "Record the replay too (--record).") var record = false

        func run() async throws {
            let result = try await ReplayBenchmark.run(count: count, rate: rate, pacing: maxSpeed ? .maxSpeed : .speed(speed), record: record)
            printResult("replay " + (maxSpeed ? "--max-speed" : "at \(speed)x") + (record ? " --record" : ""), result)
        }
    }

    struct REST: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rest",
            abstract: "POST /channels/{id}/messages over keep-alive connections, each echoed as MESSAGE_CREATE to one gateway client.")
        @Option var count = 200_000
        @Option(help: "Keep-alive connections of the load client (one request in flight on each).") var connections = 32
        @Option(help: "Requests per second, open loop (latency from each request's due time); none: as fast as answered.")
        var rate: Double?
        @Flag(help: "Record into a SQLite file (as serve --record) and count the http rows and MESSAGE_CREATE frames afterwards.")
        var record = false

        func validate() throws {
            guard count > 0, connections > 0 else { throw ValidationError("--count and --connections must be positive") }
            if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        }

        func run() async throws {
            let result = try await RESTBenchmark.run(count: count, connections: connections, rate: rate, record: record)
            printResult("rest " + (rate.map { "at \(Int($0))/s (open loop)" } ?? "closed loop") + (record ? " --record" : ""), result)
        }
    }

    struct RESTLoad: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rest-load", abstract: "(child process) the load client of `rest`.", shouldDisplay: false)
        @Option var port: Int
        @Option var token: String
        @Option var channel: String
        @Option var count: Int
        @Option var connections: Int
        @Option var rate: Double?
        func run() async throws {
            try await RESTLoadClient.run(port: port, token: token, channelID: channel, count: count, connections: connections, rate: rate)
        }
    }

    struct RESTReceive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rest-receive", abstract: "(child process) the gateway client of `rest`.", shouldDisplay: false)
        @Option var port: Int
        @Option var token: String
        @Option var count: Int
        @Option var warmup: Int
        func run() async throws { try await BenchClients.restReceive(port: port, token: token, count: count, warmup: warmup, idleSeconds: 5) }
    }

    struct ReplayClient: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "replay-client", abstract: "(child process) the bot of `replay`.", shouldDisplay: false)
        @Option var port: Int
        @Option var count: Int
        @Option var speed: Double
        func run() async throws { try await BenchClients.replayClient(port: port, count: count, speed: speed) }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(child process) the receiving bot of `throughput`.", shouldDisplay: false)
        @Option var port: Int
        @Option var token: String
        @Option var count: Int
        @Option var compress: String?
        func run() async throws { try await BenchClients.receive(port: port, token: token, count: count, compress: compress) }
    }

    struct Heartbeats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(child process) the heartbeating bots of `idle`.", shouldDisplay: false)
        @Option var port: Int
        @Option var token: String
        @Option var connections: Int
        @Option var seconds: Int
        @Flag(name: .customLong("distinct-sessions")) var distinctSessions = false
        func run() async throws {
            try await BenchClients.heartbeats(port: port, token: token, connections: connections, seconds: seconds, distinctSessions: distinctSessions)
        }
    }
}

func printResult(_ name: String, _ result: [String: Double]) {
    print(name + ":")
    for key in result.keys.sorted() {
        let value = result[key]!
        print("  \(key): " + (value.rounded() == value && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.3f", value)))
    }
}
