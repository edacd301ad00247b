// recorder-bench: how many ~1 KB frames per second the SQLite recorder sustains.
//
//   swift run -c release recorder-bench [--frames N] [--size BYTES] [--producers K] [--path FILE] [--keep]
//                                       [--page-size BYTES] [--transaction-rows N] [--high-water EVENTS]
//                                       [--checkpoint-mb MB] [--rate FRAMES/S]
//
// Pushes N frame events (default 300,000 of ~1,000 bytes) through `Recorder` as fast as it accepts
// them, calling `waitUntilWritable()` after every event as a dispatch loop does; waits until all are
// committed (`flush()`: in the WAL, safe from a crash of the process), then `finish()` (final
// checkpoint into the main file with fsync, close) and reads the file back. Prints frames/s from the
// first record to all committed, and to the file closed, and the frame count read back, which must
// equal N (exit 1 otherwise), the CPU time used and the bytes written.
//
// With --rate, frames are paced at that rate instead of as fast as possible; the bytes the process
// wrote (`wchar` of /proc/self/io) then show the write amplification at moderate rates.

import Foundation
import GatewayModel
import GatewayRecording

struct Arguments {
    var frames = 300_000
    var size = 1000
    var producers = 1
    var path: String?
    var keep = false
    var rate: Int?
    var options = Recorder.Options()

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() -> String {
                guard let value = iterator.next() else { Self.usage("\(argument) needs a value") }
                return value
            }
            func number() -> Int {
                let text = value()
                guard let number = Int(text) else { Self.usage("\(argument) takes a number, not \(text)") }
                return number
            }
            switch argument {
            case "--frames", "-n": frames = number()
            case "--size": size = number()
            case "--producers": producers = max(1, number())
            case "--path": path = value()
            case "--rate": rate = number()
            case "--page-size": options.pageSize = number()
            case "--transaction-rows": options.maxTransactionRows = number()
            case "--checkpoint-mb": options.checkpointAfterBytes = number() << 20
            case "--high-water":
                options.highWaterEvents = number()
                options.lowWaterEvents = options.highWaterEvents / 2
            case "--keep": keep = true
            case "--help", "-h": Self.usage(nil)
            default: Self.usage("unknown argument \(argument)")
            }
        }
    }

    static func usage(_ problem: String?) -> Never {
        if let problem { FileHandle.standardError.write(Data("recorder-bench: \(problem)\n".utf8)) }
        print(
            "usage: recorder-bench [--frames N] [--size BYTES] [--producers K] [--path FILE] [--keep]"
                + " [--page-size BYTES] [--transaction-rows N] [--high-water EVENTS] [--checkpoint-mb MB] [--rate FRAMES/S]")
        exit(problem == nil ? 0 : 2)
    }
}

/// Bytes this process has written through system calls (Linux `/proc/self/io`, `wchar`).
func bytesWritten() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
    }
    return 0
}

/// CPU seconds (user + system) this process has used so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A dispatch-shaped payload of about `size` bytes with its sequence number in it.
func payload(seq: Int, size: Int, filler: [UInt8]) -> [UInt8] {
    var bytes = Array(#"{"op":0,"s":\#(seq),"t":"MESSAGE_CREATE","d":{"channel_id":"1100000000000000001","content":""#.utf8)
    let tail = Array(#"","id":"1200000000000000002"}}"#.utf8)
    let fill = max(0, size - bytes.count - tail.count)
    bytes.reserveCapacity(bytes.count + fill + tail.count)
    bytes += filler.prefix(fill)
    bytes += tail
    return bytes
}

enum RecorderBench {
    static func run() async throws {
        let arguments = Arguments()
        let path = arguments.path ?? NSTemporaryDirectory() + "recorder-bench-\(getpid()).sqlite"
        let filler = (0..<max(arguments.size, 1)).map { UInt8(ascii: "a") + UInt8($0 % 26) }

        let recorder = try Recorder(path: path, mode: .serve, source: "recorder-bench", overwrite: true, options: arguments.options)
        recorder.record(.session(SessionRecord(id: "bench", name: "recorder-bench", tokenSHA256: "00", t: MonotonicClock.now())))
        for producer in 0..<arguments.producers {
            recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: Int64(producer + 1), query: "v=10", t: MonotonicClock.now())))
        }

        let writtenBefore = bytesWritten()
        let cpuBefore = cpuSeconds()
        let start = MonotonicClock.now()
        let perProducer = arguments.frames / arguments.producers
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<arguments.producers {
                let count = producer == arguments.producers - 1 ? arguments.frames - perProducer * producer : perProducer
                group.addTask {
                    for index in 0..<count {
                        let bytes = payload(seq: index + 1, size: arguments.size, filler: filler)
                        recorder.record(.frame(FrameRecord(
                            connectionID: Int64(producer + 1), sessionID: "bench", t: MonotonicClock.now(),
                            direction: .outbound, op: 0, seq: Int64(index + 1), event: "MESSAGE_CREATE",
                            payload: bytes, wireBytes: bytes.count)))
                        await recorder.waitUntilWritable()
                        if let rate = arguments.rate {
                            // Pace: frame `index` of this producer is due at start + index / (rate / producers).
                            let due = start + UInt64(Double(index + 1) * 1e9 * Double(arguments.producers) / Double(rate))
                            let now = MonotonicClock.now()
                            if due > now { try? await Task.sleep(for: .nanoseconds(Int(due - now))) }
                        }
                    }
                }
            }
        }
        let produced = MonotonicClock.now()
        await recorder.flush()
        let committed = MonotonicClock.now()
        try await recorder.finish()
        let finished = MonotonicClock.now()

        let reader = try RecordingReader(path: path, check: .none)
        let readBack = try reader.sessions().first { $0.id == "bench" }?.frameCount ?? 0
        reader.close()
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let written = bytesWritten() - writtenBefore
        let cpu = cpuSeconds() - cpuBefore

        let frames = Double(arguments.frames)
        let producerSeconds = Double(produced - start) / 1e9
        let committedSeconds = Double(committed - start) / 1e9
        let closedSeconds = Double(finished - start) / 1e9
        let statistics = recorder.statistics
        func format(_ value: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", value) }
        print("frames:             \(arguments.frames) x ~\(arguments.size) B, \(arguments.producers) producer(s), file \(path)")
        print("producers done:     \(format(producerSeconds, 3)) s (throttled \(statistics.throttled) times)")
        print("all committed:      \(format(committedSeconds, 3)) s  -> \(format(frames / committedSeconds)) frames/s")
        print("checkpointed+closed:\(format(closedSeconds, 3)) s  -> \(format(frames / closedSeconds)) frames/s")
        print("CPU:                \(format(cpu, 2)) s (all threads, incl. building payloads) = \(format(cpu / frames * 1e6, 2)) µs per frame")
        print("bytes written:      \(format(Double(written) / 1e6, 1)) MB by write calls (\(format(Double(written) / Double(max(fileBytes, 1)), 2))x the file)")
        print("read back:          \(readBack) frames (\(readBack == arguments.frames ? "ok" : "MISMATCH")), file \(format(Double(fileBytes) / 1e6, 1)) MB")
        if !arguments.keep {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        if readBack != arguments.frames { exit(1) }
    }
}

try await RecorderBench.run()
