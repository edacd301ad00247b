import Foundation
import GatewayModel
import GatewayServer

/// Long load: many connections (a session each) heartbeating for minutes while the server dispatches
/// events, forces resumes (close 4000) and the bots make REST calls. Reports RSS over time (growth
/// after the warm-up), open file descriptors, missed ACKs and resumes that failed.
///
/// Two rounds with the same load, each with fresh bots (a child process): a short warm-up round, so
/// that everything the process makes once (event loops, thread pools, caches) exists, then the
/// measured round. The baseline of open file descriptors is taken between them, with no bot
/// connected; after the measured round they must be back to it. The load is steady on purpose, so
/// that growing memory means a leak: dispatched messages reuse 10 ids, so each session's world
/// holds at most 10 of them within the first minutes (with 1,000 sessions a session gets a dispatch
/// every few seconds), and every message the bots post is deleted again (the worlds keep up to 1,000
/// messages a channel, which a load of ever-new messages would fill first).
enum SoakBenchmark {
    struct Load {
        var connections: Int
        var dispatchesPerSecond: Int
        var restPerSecond: Int
        var resumesPerMinute: Int
    }

    static func run(load: Load, seconds: Int, warmUpSeconds: Int, heartbeatInterval: Int) async throws -> [String: Double] {
        let bench = try await BenchServer.start(.init(heartbeatInterval: heartbeatInterval))
        _ = try await round(bench, load: load, seconds: warmUpSeconds)
        try await Task.sleep(for: .seconds(3))
        let fdsBaseline = openFileDescriptors()
        var result = try await round(bench, load: load, seconds: seconds)
        try await Task.sleep(for: .seconds(3))
        let fdsAfter = openFileDescriptors()
        for (fd, target) in fdsAfter where fdsBaseline[fd] != target { FileHandle.standardError.write(Data("open after the soak, not before: fd \(fd) → \(target)\n".utf8)) }
        result["fds_baseline"] = Double(fdsBaseline.count)
        result["fds_after"] = Double(fdsAfter.count)
        result["connections_left"] = Double(bench.server.connectionCount)
        await bench.stop()
        return result
    }

    /// One round: bots connect, the load runs for `seconds`, the bots report and exit.
    private static func round(_ bench: BenchServer, load: Load, seconds: Int) async throws -> [String: Double] {
        let (process, output) = try await BenchServer.spawnClient([
            "soak-client", "--port", String(bench.port), "--connections", String(load.connections), "--seconds", String(seconds),
            "--rest-per-second", String(load.restPerSecond),
        ])
        guard await output.nextLine() == "ready" else { throw BenchError("client did not identify its connections") }
        let sessions = bench.server.sessions().map(\.id)
        let start = ContinuousClock.now
        let warmUp = Duration.seconds(max(10, seconds / 10))
        var rssSamples: [(at: Duration, bytes: Int)] = []
        var nextSample = ContinuousClock.now
        var dispatched = 0, forcedCloses = 0
        var message: JSONValue = [
            "id": "1", "channel_id": "1100000000000000101", "guild_id": "1099511627776000000", "content": "soak",
            "author": ["id": "1200000000000000002", "username": "bob", "discriminator": "0", "avatar": nil], "type": 0,
        ]
        while ContinuousClock.now - start < .seconds(seconds) {
            let tick = ContinuousClock.now
            for _ in 0..<max(1, load.dispatchesPerSecond / 10) {
                message["id"] = .string(String(1_300_000_000_000_000_000 + UInt64(dispatched % 10)))
                bench.server.dispatchToSession(sessions.randomElement()!, event: "MESSAGE_CREATE", data: message, guildID: "1099511627776000000")
                dispatched += 1
            }
            if load.resumesPerMinute > 0, Int.random(in: 0..<600) < load.resumesPerMinute {
                bench.server.disconnectSession(sessions.randomElement()!, closeCode: 4000)
                forcedCloses += 1
            }
            if ContinuousClock.now >= nextSample {
                rssSamples.append((ContinuousClock.now - start, residentBytes()))
                nextSample = nextSample + .seconds(10)
            }
            try await Task.sleep(until: tick + .milliseconds(100), clock: .continuous)
        }
        guard let report = await output.nextLine(), let client = try? JSONValue(parsing: report) else { throw BenchError("client gave no report") }
        await process.exited()
        output.close()

        let warm = rssSamples.first { $0.at >= warmUp }?.bytes ?? rssSamples.first?.bytes ?? 0
        let end = rssSamples.last?.bytes ?? 0
        var result: [String: Double] = [
            "connections": Double(load.connections), "seconds": Double(seconds), "dispatched": Double(dispatched),
            "forced_closes": Double(forcedCloses), "rss_after_warmup_bytes": Double(warm), "rss_end_bytes": Double(end),
            "rss_peak_after_warmup_bytes": Double(rssSamples.filter { $0.at >= warmUp }.map(\.bytes).max() ?? end),
            "rss_growth_percent": warm > 0 ? Double(end - warm) / Double(warm) * 100 : 0,
        ]
        for key in ["heartbeats", "acks", "missed", "p99_ms", "dispatches", "resumes", "resume_failures", "rest_calls", "rest_failures"] {
            result["client_" + key] = client[key]?.doubleValue ?? -1
        }
        return result
    }

    /// The file descriptors this process has open, with what each refers to (a socket, pipe or file).
    static func openFileDescriptors() -> [Int: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return Dictionary(uniqueKeysWithValues: names.compactMap { name in
            Int(name).map { ($0, (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name)) ?? "?") }
        })
    }
}
