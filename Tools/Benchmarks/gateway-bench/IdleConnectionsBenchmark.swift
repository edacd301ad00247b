import Foundation
import GatewayModel
import GatewayServer

/// Many identified, idle connections heartbeating: missed ACKs, ACK round trip, RSS per connection.
enum IdleConnectionsBenchmark {
    static func run(connections: Int, seconds: Int, heartbeatInterval: Int, distinctSessions: Bool) async throws -> [String: Double] {
        let bench = try await BenchServer.start(.init(heartbeatInterval: heartbeatInterval))
        let session = try bench.server.createSession(name: "bench")
        let rssBefore = residentBytes()
        let (process, output) = try await BenchServer.spawnClient([
            "heartbeats", "--port", String(bench.port), "--token", session.token,
            "--connections", String(connections), "--seconds", String(seconds),
        ] + (distinctSessions ? ["--distinct-sessions"] : []))
        guard await output.nextLine() == "ready" else { throw BenchError("client did not identify its connections") }
        try await Task.sleep(for: .seconds(2))
        let rssAfter = residentBytes()
        let open = bench.server.connectionCount
        guard let report = await output.nextLine(), let client = try? JSONValue(parsing: report) else { throw BenchError("client gave no report") }
        await process.exited()
        await bench.stop()
        var result: [String: Double] = [
            "connections": Double(open),
            "sessions": Double(bench.server.sessions().count),
            "rss_bytes_per_connection": Double(rssAfter - rssBefore) / Double(max(open, 1)),
        ]
        for key in ["heartbeats", "acks", "missed", "p50_ms", "p99_ms", "max_ms"] {
            result["ack_" + key] = client[key]?.doubleValue ?? -1
        }
        return result
    }
}
