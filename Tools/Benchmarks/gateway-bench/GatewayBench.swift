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
            Throughput.self, Idle.self, ReplayTiming.self, ProxyThroughput.self, Receive.self, Heartbeats.self, ReplayClient.self,
            FastUpstreamServer.self,
        ]
    )

    struct Throughput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dispatches of ~1 KB MESSAGE_CREATE to one client as fast as it reads.")
        @Option var count = 300_000
        @Option(help: "zlib-stream or zstd-stream") var compress: String?
        @Flag(help: "Record every frame into a SQLite file (as serve --record) and count them afterwards.") var record = false

        func run() async throws {
            var result: [String: Double]
            if record {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("throughput-\(getpid()).sqlite").path
                defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
                let recorder = try Recorder(path: path, mode: .serve, overwrite: true)
                result = try await ThroughputBenchmark.run(count: count, compress: compress, sink: recorder)
                try await recorder.finish()
                let frames = try RecordingReader(path: path).frames(sessionID: nil)
                result["recorded_dispatch_frames"] = Double(frames.count { $0.event == "MESSAGE_CREATE" })
            } else {
                result = try await ThroughputBenchmark.run(count: count, compress: compress, sink: nil)
            }
            printResult("throughput" + (compress.map { " (\($0))" } ?? " (plain JSON)") + (record ? " --record" : ""), result)
        }
    }

    struct ProxyThroughput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proxy", abstract: "Through the proxy: a fast zlib-stream upstream → proxy → one plain-JSON client, ~1.2 KB MESSAGE_CREATEs.")
        @Option var count = 300_000
        @Flag(help: "The proxy records every frame into a SQLite file (as proxy --record); the recorded frames are counted.") var record = false

        func run() async throws {
            var result: [String: Double]
            if record {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(getpid()).sqlite").path
                defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
                let recorder = try Recorder(path: path, mode: .proxy, overwrite: true)
                result = try await ProxyBenchmark.run(count: count, sink: recorder)
                try await recorder.finish()
                let frames = try RecordingReader(path: path).frames(sessionID: nil)
                result["recorded_dispatch_frames"] = Double(frames.count { $0.event == "MESSAGE_CREATE" })
            } else {
                result = try await ProxyBenchmark.run(count: count, sink: nil)
            }
            printResult("proxy (zlib-stream upstream, plain JSON client)" + (record ? " --record" : ""), result)
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

        func run() async throws {
            let result = try await IdleConnectionsBenchmark.run(connections: connections, seconds: seconds, heartbeatInterval: heartbeatInterval)
            printResult("idle connections", result)
        }
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
        func run() async throws { try await BenchClients.heartbeats(port: port, token: token, connections: connections, seconds: seconds) }
    }
}

func printResult(_ name: String, _ result: [String: Double]) {
    print(name + ":")
    for key in result.keys.sorted() {
        let value = result[key]!
        print("  \(key): " + (value.rounded() == value && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.3f", value)))
    }
}
