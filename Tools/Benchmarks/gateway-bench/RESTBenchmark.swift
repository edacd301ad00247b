import Foundation
import GatewayModel
import GatewayRecording
import GatewayServer

/// `POST /api/v10/channels/{id}/messages` from a keep-alive load client (`rest-load`, a child process),
/// each message echoed as MESSAGE_CREATE to one identified gateway client with every intent
/// (`rest-receive`, another child process) that counts them and times each against its request.
enum RESTBenchmark {
    /// A text channel of the built-in fixture.
    static let channelID = "1100000000000000101"

    static func run(count: Int, connections: Int, rate: Double?, record: Bool) async throws -> [String: Double] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rest-bench-\(getpid()).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let recorder = record ? try Recorder(path: path, mode: .serve, overwrite: true) : nil
        let bench = try await BenchServer.start(.init(recordingSink: recorder))
        let session = try bench.server.createSession(name: "bench")
        // The warm-up request of each connection is echoed too.
        let expected = count + connections
        let (receiver, receiverOutput) = try await BenchServer.spawnClient([
            "rest-receive", "--port", String(bench.port), "--token", session.token, "--count", String(expected), "--warmup", String(connections),
        ])
        guard await receiverOutput.nextLine() == "ready" else { throw BenchError("gateway client did not identify") }
        var arguments = [
            "rest-load", "--port", String(bench.port), "--token", session.token, "--channel", channelID,
            "--count", String(count), "--connections", String(connections),
        ]
        if let rate { arguments += ["--rate", String(rate)] }
        let (loader, loaderOutput) = try await BenchServer.spawnClient(arguments)
        guard await loaderOutput.nextLine() == "ready" else { throw BenchError("load client did not connect") }
        let cpu = ThreadCPU()
        guard let loadLine = await loaderOutput.nextLine(), let load = try? JSONValue(parsing: loadLine) else {
            throw BenchError("load client gave no report")
        }
        let cpuReport = cpu.report(count: count, per: "request")
        guard let echoLine = await receiverOutput.nextLine(), let echo = try? JSONValue(parsing: echoLine) else {
            throw BenchError("gateway client gave no report")
        }
        await loader.exited()
        await receiver.exited()
        await bench.stop()

        let seconds = load["seconds"]?.doubleValue ?? 0
        let received = echo["received"]?.doubleValue ?? 0
        var result = cpuReport.merging([
            "requests": Double(count), "connections": Double(connections),
            "requests_per_s": Double(count) / seconds,
            "http_failed": load["failed"]?.doubleValue ?? -1,
            "http_p50_ms": load["p50_ms"]?.doubleValue ?? -1, "http_p99_ms": load["p99_ms"]?.doubleValue ?? -1,
            "http_max_ms": load["max_ms"]?.doubleValue ?? -1,
            "events_received": received, "events_lost": Double(expected) - received,
            "event_p50_ms": echo["p50_ms"]?.doubleValue ?? -1, "event_p99_ms": echo["p99_ms"]?.doubleValue ?? -1,
            "event_max_ms": echo["max_ms"]?.doubleValue ?? -1,
            "load_client_cpu_us_per_request": (load["cpu_s"]?.doubleValue ?? 0) / Double(count) * 1e6,
            "gateway_client_cpu_us_per_event": (echo["cpu_s"]?.doubleValue ?? 0) / Double(expected) * 1e6,
        ]) { $1 }
        if let status = load["first_failure_status"]?.doubleValue { result["http_first_failure_status"] = status }
        if let rate { result["rate"] = rate }
        if let recorder {
            try await recorder.finish()
            let reader = try RecordingReader(path: path)
            let calls = try reader.httpCalls(sessionID: nil).filter { $0.method == "POST" && $0.status == 200 }
            let frames = try reader.frames(sessionID: nil).filter { $0.event == "MESSAGE_CREATE" }
            result["recorded_http_rows"] = Double(calls.count)
            result["recorded_message_create_frames"] = Double(frames.count)
            result["recording_missing"] = Double(2 * expected - calls.count - frames.count)
        }
        return result
    }
}
