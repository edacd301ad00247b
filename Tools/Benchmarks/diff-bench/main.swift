// diff-bench: times `gatewaytape diff`'s engine on two generated sessions.
//
//   swift build -c release --scratch-path .build-release --product diff-bench
//   .build-release/release/diff-bench [--frames 100000] [--edits 200] [--keep DIR]
//
// Writes two recordings with the Recorder (same format as `serve --record`): one session each,
// `--frames` client frames (40 % heartbeats, 30 % PRESENCE_UPDATE, 20 % REQUEST_GUILD_MEMBERS with
// nonces, 10 % VOICE_STATE_UPDATE) on one connection, every heartbeat ACKed, plus HELLO and READY.
// B differs from A by `--edits` changed, added or removed commands, other tokens, nonces, session
// ids and timing jitter. Then it reads both files, compares them and renders both report formats,
// printing the time of each phase and the peak resident memory. The target (SLO): ≤ 2 s for two
// 100,000-frame sessions, memory linear in the input (compare the peak of 50,000 and 100,000).

import Foundation
import GatewayDiff
import GatewayModel
import GatewayRecording

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Arguments {
    var frames = 100_000
    var edits = 200
    var keep: String?
    var reuse = false

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--frames": frames = Int(iterator.next() ?? "") ?? frames
            case "--edits": edits = Int(iterator.next() ?? "") ?? edits
            case "--keep": keep = iterator.next()
            case "--reuse": reuse = true
            default:
                FileHandle.standardError.write(Data("usage: diff-bench [--frames N] [--edits N] [--keep DIR [--reuse]]\n".utf8))
                exit(2)
            }
        }
    }
}

/// A deterministic generator (SplitMix64), so runs are comparable.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func writeSession(path: String, frames: Int, edits: Set<Int>, variant: Int) async throws {
    let start: UInt64 = 1_000_000_000
    let recorder = try Recorder(path: path, mode: .serve, startTime: start)
    var random = SplitMix(state: UInt64(variant) &* 7919 &+ 1)
    let session = "bench-\(variant)"
    let guildBase: UInt64 = variant == 0 ? 1_099_511_627_776_000_000 : 1_099_511_627_999_000_000
    var t = start
    func frame(_ direction: FrameDirection, _ op: Int, _ text: String, seq: Int64? = nil, event: String? = nil) {
        recorder.record(
            .frame(
                FrameRecord(
                    connectionID: 1, sessionID: session, t: t, direction: direction, op: op, seq: seq, event: event,
                    payload: Array(text.utf8), wireBytes: text.utf8.count)))
    }
    recorder.record(.session(SessionRecord(id: session, name: "bench", tokenSHA256: String(repeating: "0", count: 64), t: t)))
    recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 1, query: "v=10&encoding=json", t: t)))
    frame(.outbound, 10, #"{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}"#)
    t += 3_000_000
    frame(.inbound, 2, #"{"op":2,"d":{"token":"redacted:\#(variant)abcdef01234","properties":{"os":"linux","browser":"bench","device":"bench"},"intents":513}}"#)
    recorder.record(
        .connectionIdentified(
            ConnectionIdentifiedRecord(connectionID: 1, sessionID: session, gatewaySessionID: "gs-\(variant)", shardID: nil, shardCount: nil)))
    let guilds = (0..<8).map { #"{"id":"\#(guildBase + UInt64($0) << 22)","unavailable":true}"# }.joined(separator: ",")
    frame(.outbound, 0, #"{"op":0,"s":1,"t":"READY","d":{"session_id":"gs-\#(variant)","guilds":[\#(guilds)]}}"#, seq: 1, event: "READY")
    var heartbeat = 0
    var index = 0
    var written = 1
    while written < frames {
        defer { index += 1 }
        t += 400_000_000 + UInt64.random(in: 0..<2_000_000, using: &random)
        if edits.contains(index) {
            switch index % 3 {
            case 0 where variant == 1: continue  // removed in B
            case 1 where variant == 1:  // added in B
                frame(.inbound, 4, #"{"op":4,"d":{"guild_id":"\#(guildBase)","channel_id":null,"self_mute":false,"self_deaf":false}}"#)
                written += 1
                continue
            default: break
            }
        }
        let kind = index % 10
        let guild = guildBase + UInt64(index % 8) << 22
        let text: String
        let op: Int
        switch kind {
        case 0, 3, 6, 8:
            heartbeat += 1
            frame(.inbound, 1, #"{"op":1,"d":\#(heartbeat)}"#)
            written += 1
            t += 300_000
            frame(.outbound, 11, #"{"op":11,"d":null,"s":null,"t":null}"#)
            continue
        case 1, 4, 7:
            let status = variant == 1 && edits.contains(index) ? "dnd" : ["online", "idle"][index % 2]
            text = #"{"op":3,"d":{"since":\#(1_700_000_000_000 + Int(t / 1_000_000)),"activities":[{"name":"game \#(index % 5)","type":0}],"status":"\#(status)","afk":false}}"#
            op = 3
        case 2, 5:
            let nonce = String(UInt64.random(in: 0..<UInt64.max, using: &random), radix: 36)
            text = #"{"op":8,"d":{"guild_id":"\#(guild)","query":"","limit":0,"presences":false,"nonce":"\#(nonce)"}}"#
            op = 8
        default:
            text = #"{"op":4,"d":{"guild_id":"\#(guild)","channel_id":"\#(guild + 1)","self_mute":false,"self_deaf":true}}"#
            op = 4
        }
        frame(.inbound, op, text)
        written += 1
        if written % 4096 == 0 { await recorder.waitUntilWritable() }
    }
    recorder.record(.connectionClosed(ConnectionClosedRecord(connectionID: 1, code: 1000, reason: nil, closedBy: .client, t: t + 1_000_000)))
    try await recorder.finish()
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1024 / 1024  // bytes on macOS
    #endif
}

func seconds(since start: ContinuousClock.Instant) -> String {
    let elapsed = ContinuousClock.now - start
    let value = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return String(format: "%.3f s", value)
}

let arguments = Arguments()
let directory = arguments.keep ?? (NSTemporaryDirectory() + "diff-bench-" + UUID().uuidString)
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { if arguments.keep == nil { try? FileManager.default.removeItem(atPath: directory) } }
let pathA = directory + "/a.sqlite"
let pathB = directory + "/b.sqlite"
var editRandom = SplitMix(state: 42)
var edits = Set<Int>()
while edits.count < arguments.edits { edits.insert(Int.random(in: 0..<arguments.frames, using: &editRandom)) }
if !(arguments.reuse && FileManager.default.fileExists(atPath: pathA) && FileManager.default.fileExists(atPath: pathB)) {
    for path in [pathA, pathB] where FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    let generated = ContinuousClock.now
    try await writeSession(path: pathA, frames: arguments.frames, edits: edits, variant: 0)
    try await writeSession(path: pathB, frames: arguments.frames, edits: edits, variant: 1)
    print("generated 2 × \(arguments.frames) client frames in \(seconds(since: generated)) (\(directory))")
}
let baseline = peakResidentMiB()

let total = ContinuousClock.now
// Both files at once (the machine has two cores; the engine prepares the two sides in parallel too).
async let loadA = Task { try BotBehaviour(reader: RecordingReader(path: pathA)) }.value
async let loadB = Task { try BotBehaviour(reader: RecordingReader(path: pathB)) }.value
let (a, b) = try await (loadA, loadB)
print("read both sessions: \(seconds(since: total))")
let compared = ContinuousClock.now
let report = BehaviourComparison.compare(a, b)
print("compare: \(seconds(since: compared))")
let rendered = ContinuousClock.now
let text = report.render(format: .text(color: false))
let json = report.render(format: .json)
print("render text (\(text.utf8.count) bytes) + json (\(json.utf8.count) bytes): \(seconds(since: rendered))")
print("total read + compare + render: \(seconds(since: total))")
print(
    "steps A \(report.a.steps), B \(report.b.steps); equal \(report.equalSteps), changed \(report.count(.changed)), "
        + "added \(report.count(.added)), removed \(report.count(.removed)); hints \(report.hints.count)")
print(String(format: "peak RSS %.1f MiB (%.1f MiB before reading)", peakResidentMiB(), baseline))
