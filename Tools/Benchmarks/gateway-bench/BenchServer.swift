import Foundation
import GatewayModel
import GatewayServer

/// The server side of a benchmark: an embedded `GatewayServer` on a free port, a child process
/// (this executable in a client mode) as the bot, and the server process's CPU time and RSS.
struct BenchServer {
    let server: GatewayServer
    let port: Int
    private let task: Task<Void, any Error>

    static func start(_ configuration: GatewayServerConfiguration) async throws -> BenchServer {
        var configuration = configuration
        configuration.port = 0
        configuration.rateLimit = false
        let server = GatewayServer(configuration: configuration)
        let task = Task { try await server.run() }
        return BenchServer(server: server, port: try await server.listeningPort(), task: task)
    }

    func stop() async {
        await server.close()
        _ = try? await task.value
    }

    /// Starts this executable with `arguments` and returns a reader of its stdout lines.
    static func spawnClient(_ arguments: [String]) async throws -> (BenchChild, ChildOutput) {
        let process = BenchChild()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try await process.start()
        return (process, ChildOutput(pipe: pipe))
    }
}

/// A child process whose exit is awaited without a run loop. `waitUntilExit` runs the calling thread's
/// run loop, which Foundation makes with three file descriptors (epoll, eventfd, timerfd) and keeps
/// for as long as the thread lives: a thread of the cooperative pool keeps it for good, so the soak
/// counted it as a leak (seen with `strace -k`).
final class BenchChild: Process, @unchecked Sendable {
    private let ended = AsyncStream<Void>.makeStream()

    override init() {
        super.init()
        terminationHandler = { [continuation = ended.continuation] _ in continuation.finish() }
    }

    /// `run()` on a thread of its own: `run` too makes the calling thread's run loop, which goes with
    /// that thread.
    func start() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try self.run() }) }
        }
    }

    /// Returns once the child has exited.
    func exited() async {
        for await _ in ended.stream {}
    }
}

/// Lines a child process prints, read one at a time.
final class ChildOutput: @unchecked Sendable {
    private let pipe: Pipe
    private var handle: FileHandle { pipe.fileHandleForReading }
    private var buffer = Data()

    init(pipe: Pipe) { self.pipe = pipe }

    /// Closes both ends of the pipe (once the child has exited), so a count of open file descriptors
    /// does not depend on when Foundation lets go of them.
    func close() {
        try? pipe.fileHandleForWriting.close()
        try? pipe.fileHandleForReading.close()
    }

    /// The next line (blocking; run off the cooperative pool), or nil at end of output.
    func nextLine() async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                while true {
                    if let newline = buffer.firstIndex(of: 0x0A) {
                        let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                        buffer.removeSubrange(buffer.startIndex...newline)
                        return continuation.resume(returning: line)
                    }
                    let chunk = handle.availableData
                    if chunk.isEmpty { return continuation.resume(returning: nil) }
                    buffer.append(chunk)
                }
            }
        }
    }
}

/// This process's CPU time (user + system) in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// This process's resident set size in bytes (from /proc/self/statm).
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A ~1 KB guild MESSAGE_CREATE `d`, pre-encoded once.
let benchGuildID = "1099511627776000000"
let benchMessage: JSONValue = [
    "id": "1300000000000000001", "channel_id": "1100000000000000101", "guild_id": .string(benchGuildID),
    "author": ["id": "1200000000000000002", "username": "bob", "discriminator": "0", "global_name": "Bob", "avatar": nil, "bot": false, "public_flags": 0],
    "member": ["roles": ["1100000000000000202"], "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0],
    "content": .string("benchmark message " + String(repeating: "lorem ipsum dolor sit amet ", count: 20)),
    "timestamp": "2024-01-01T00:00:01.000000+00:00", "edited_timestamp": nil, "tts": false, "mention_everyone": false,
    "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0, "flags": 0,
    "components": [], "channel_type": 0, "nonce": "1300000000000000000",
]

/// CPU seconds of this process's threads by thread name (Linux cuts names to 15 characters; threads
/// that share a name are added up), from /proc/self/task/*/stat.
func threadCPUSeconds() -> [String: Double] {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [:] }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var byName: [String: Double] = [:]
    for task in tasks {
        guard let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        // Fields after the command: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
        byName[comm.trimmingCharacters(in: .whitespacesAndNewlines), default: 0] += (user + system) / ticks
    }
    return byName
}

/// Per-thread CPU over a measured stretch: the recorder's threads (named `gatewaytape-…`) apart from
/// the rest, which are the network event loops and the task that dispatches.
struct ThreadCPU {
    private let start = threadCPUSeconds()

    /// CPU seconds since `init`, per thread name.
    func elapsed() -> [String: Double] {
        threadCPUSeconds().reduce(into: [:]) { result, entry in
            result[entry.key] = entry.value - (start[entry.key] ?? 0)
        }
    }

    /// The benchmark report's CPU fields for `count` units of work (`per`: dispatch, request).
    func report(count: Int, per unit: String = "dispatch") -> [String: Double] {
        let elapsed = elapsed()
        let sqlite = elapsed.filter { $0.key.hasPrefix("gatewaytape-") }.values.reduce(0, +)
        let total = elapsed.values.reduce(0, +)
        var fields = [
            "server_cpu_us_per_\(unit)": total / Double(count) * 1e6,
            "server_cpu_us_per_\(unit)_without_sqlite_threads": (total - sqlite) / Double(count) * 1e6,
        ]
        for (name, seconds) in elapsed where seconds / Double(count) * 1e6 >= 0.05 {
            fields["thread_cpu_us_per_\(unit)[\(name)]"] = seconds / Double(count) * 1e6
        }
        return fields
    }
}
