import Foundation
import GatewayModel
import GatewayRecording
import GatewayTestClient
import Synchronization
import Testing

/// `serve --record` as a real process: SIGKILL while it records at full rate loses at most the last
/// 100 ms, and the file stays a valid recording.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CrashSafetyTests {
    @Test func sigkillAtFullRateKeepsEveryFrameOlderThan100ms() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("run.sqlite").path

        let (process, port) = try startGatewaytapeServe(["--record", file, "--no-rate-limit"])

        let client = try await GatewayTestClient.connect(port: port)
        _ = try await client.next()
        try await client.send(op: 2, ["token": "crash", "intents": 0, "properties": [:]])
        _ = try await client.nextDispatch("READY")
        // Heartbeats as fast as the connection takes them, each carrying its number; every one is
        // answered, so the server records two frames per heartbeat. The k-th ACK tells when the
        // server had handled (and recorded) the first k heartbeats.
        let acks = Mutex<[ContinuousClock.Instant]>([])
        let reader = Task {
            while !Task.isCancelled, case .text(let bytes) = try await client.nextMessage(timeout: .seconds(30)) {
                if bytes.starts(with: Array(#"{"op":11"#.utf8)) { acks.withLock { $0.append(ContinuousClock.now) } }
            }
        }
        let blaster = Task {
            var n = 0
            while !Task.isCancelled {
                n += 1
                try await client.send(#"{"op":1,"d":\#(n)}"#)
            }
        }
        // At least 2 s and 3,000 heartbeats (a loaded machine is slower), at most 20 s.
        let blastStart = ContinuousClock.now
        while ContinuousClock.now - blastStart < .seconds(20),
            ContinuousClock.now - blastStart < .seconds(2) || acks.withLock({ $0.count }) < 3_000
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGKILL)
        let killedAt = ContinuousClock.now
        blaster.cancel()
        reader.cancel()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let recording = try RecordingReader(path: file)
        #expect(try recording.integrityCheck() == ["ok"])
        let frames = try recording.frames(sessionID: nil)
        let heartbeats = frames.filter { $0.direction == .inbound && $0.op == 1 }
        let recorded = Set(heartbeats.compactMap { (try? JSONValue(parsing: $0.payload))?["d"]?.int64Value.map(Int.init) })
        let handled = acks.withLock { $0 }.count { killedAt - $0 > .milliseconds(100) }
        let mustHave = Array(1...max(1, handled))
        #expect(handled > 1_000, "only \(handled) heartbeats were answered: not full rate")
        #expect(frames.count { $0.direction == .outbound && $0.op == 11 } >= handled)
        let missing = mustHave.filter { !recorded.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(mustHave.count) frames older than 100 ms are missing, first \(missing.prefix(5))")
    }
}
