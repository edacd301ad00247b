import Foundation
import GatewayModel
import GatewayScenario
import GatewayServer
import NIOCore

/// One client, dispatches of ~1 KB MESSAGE_CREATE as fast as it reads them.
enum ThroughputBenchmark {
    /// A rule on a dispatch that is never sent: the server checks every dispatch it writes against it.
    static let watchingScenario = Scenario(rules: [
        ScenarioRule(number: 1, trigger: ScenarioTrigger(event: .dispatched("NEVER_SENT")), steps: [.action(.drop)]),
    ])

    static func run(count: Int, compress: String?, sink: (any RecordingSink)?, scenario: Scenario?) async throws -> [String: Double] {
        let bench = try await BenchServer.start(.init(recordingSink: sink, scenario: scenario))
        let session = try bench.server.createSession(name: "bench")
        var arguments = ["receive", "--port", String(bench.port), "--token", session.token, "--count", String(count)]
        if let compress { arguments += ["--compress", compress] }
        let (process, output) = try await BenchServer.spawnClient(arguments)
        guard await output.nextLine() == "ready" else { throw BenchError("client did not identify") }

        let payload = DispatchPayload(jsonBytes: ByteBuffer(bytes: benchMessage.jsonBytes))
        let cpu = ThreadCPU()
        let wallStart = ContinuousClock.now
        for index in 0..<count {
            bench.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", payload: payload, guildID: benchGuildID)
            if index % 256 == 255 {
                await bench.server.waitForCapacity(session.id)
                if let sink { await sink.waitUntilWritable() }
            }
        }
        guard let report = await output.nextLine(), let client = try? JSONValue(parsing: report) else { throw BenchError("client gave no report") }
        let wall = (ContinuousClock.now - wallStart)
        let cpuReport = cpu.report(count: count)
        await process.exited()
        await bench.stop()
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        return cpuReport.merging([
            "dispatches": Double(count),
            "payload_bytes": Double(payload.bytes.readableBytes),
            "dispatches_per_s": Double(count) / seconds,
            "client_received": client["received"]?.doubleValue ?? 0,
            "client_cpu_us_per_message": (client["cpu_s"]?.doubleValue ?? 0) / Double(count) * 1e6,
        ]) { $1 }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}
