import Foundation
import GatewayModel
import GatewayRecording
import GatewayReplay
import GatewayServer
import NIOCore

/// Replay timing: a generated recording of `count` MESSAGE_CREATEs at `rate` per second is replayed to
/// one client, which measures each event's lateness against the scaled schedule (time zero = READY on
/// both sides); at `--max-speed`, throughput and server CPU per dispatch.
enum ReplayBenchmark {
    static func run(count: Int, rate: Double, pacing: ReplayScheduler<ContinuousClock>.Pacing, record: Bool) async throws -> [String: Double] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.sqlite").path
        try await writeRecording(to: input, count: count, rate: rate)

        let recorded = try RecordedSession(reader: try RecordingReader(path: input), sessionID: nil)
        let recorder = record ? try Recorder(path: directory.appendingPathComponent("out.sqlite").path, mode: .replay, source: input) : nil
        let runner = ReplayRunner(recording: recorded, options: .init(port: 0, pacing: pacing, timeout: .seconds(600), keepsLiveTraffic: false), recordingSink: recorder)
        let replay = Task { try await runner.run() }
        let port = try await runner.server.listeningPort()
        let speed: Double
        switch pacing {
        case .speed(let factor): speed = factor
        case .maxSpeed: speed = 0
        }
        let (process, output) = try await BenchServer.spawnClient(["replay-client", "--port", String(port), "--count", String(count), "--speed", String(speed)])
        guard await output.nextLine() == "ready" else { throw BenchError("client did not identify") }
        let cpu = ThreadCPU()
        guard let report = await output.nextLine(), let client = try? JSONValue(parsing: report) else { throw BenchError("client gave no report") }
        let cpuReport = cpu.report(count: count)
        await process.exited()
        let outcome = try await replay.value
        var result: [String: Double] = ["events": Double(outcome.performed)]
        for key in ["received", "p50_ms", "p99_ms", "max_ms", "drift_ms", "elapsed_s"] { result[key] = client[key]?.doubleValue ?? -1 }
        if case .maxSpeed = pacing {
            let elapsed = client["elapsed_s"]?.doubleValue ?? 1
            result["dispatches_per_s"] = Double(count) / elapsed
            result.merge(cpuReport) { $1 }
        }
        if let recorder {
            try await recorder.finish()
            let frames = try RecordingReader(path: directory.appendingPathComponent("out.sqlite").path).frames(sessionID: nil)
            result["recorded_message_frames"] = Double(frames.count { $0.event == "MESSAGE_CREATE" })
        }
        return result
    }

    /// A recording with HELLO, READY and `count` ~1 KB MESSAGE_CREATEs, each carrying its recorded
    /// offset from READY (ns) in `nonce`.
    static func writeRecording(to path: String, count: Int, rate: Double) async throws {
        let start = MonotonicClock.now()
        let recorder = try Recorder(path: path, mode: .serve, startTime: start)
        let readyAt = start + 1_000_000
        recorder.record(.session(SessionRecord(id: "bench", name: "bench", tokenSHA256: "", t: start)))
        recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 1, query: "v=10&encoding=json", t: start)))
        recorder.record(.connectionIdentified(ConnectionIdentifiedRecord(connectionID: 1, sessionID: "bench", gatewaySessionID: "g", shardID: nil, shardCount: nil)))
        func frame(_ t: UInt64, op: Int, seq: Int64?, event: String?, _ payload: JSONValue) {
            recorder.record(.frame(FrameRecord(connectionID: 1, sessionID: "bench", t: t, direction: .outbound, op: op, seq: seq, event: event, payload: payload.jsonBytes, wireBytes: 0)))
        }
        frame(start, op: 10, seq: nil, event: nil, ["op": 10, "d": ["heartbeat_interval": 41250], "s": nil, "t": nil])
        let ready: JSONValue = [
            "v": 10, "user": ["id": "1000000000000000001", "username": "mockbot", "bot": true], "guilds": [],
            "session_id": "g", "resume_gateway_url": "ws://127.0.0.1", "application": ["id": "1000000000000000001", "flags": 0],
        ]
        frame(readyAt, op: 0, seq: 1, event: "READY", ["op": 0, "s": 1, "t": "READY", "d": ready])
        let interval = UInt64(1e9 / rate)
        for index in 0..<count {
            let offset = UInt64(index + 1) * interval
            var message = benchMessage
            message["nonce"] = .string(String(offset))
            frame(readyAt + offset, op: 0, seq: Int64(index + 2), event: "MESSAGE_CREATE", ["op": 0, "s": .int(Int64(index + 2)), "t": "MESSAGE_CREATE", "d": message])
            if index % 1000 == 999 { await recorder.waitUntilWritable() }
        }
        recorder.record(.connectionClosed(ConnectionClosedRecord(connectionID: 1, code: 1000, reason: nil, closedBy: .client, t: readyAt + UInt64(count + 1) * interval)))
        try await recorder.finish()
    }
}
