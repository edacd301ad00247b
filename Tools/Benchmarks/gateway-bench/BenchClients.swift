import Foundation
import GatewayCompression
import GatewayModel
import GatewayTestClient
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// The bot side of the benchmarks, run as a child process so the server's CPU time is its own.
enum BenchClients {
    /// `receive`: identifies, prints `ready`, counts `count` messages, prints a JSON report.
    static func receive(port: Int, token: String, count: Int, compress: String?) async throws {
        let counter = ReceiveCounter(target: count)
        var query = "v=10&encoding=json"
        if let compress { query += "&compress=" + compress }
        let compression = compress.flatMap(TransportCompression.init(rawValue:))
        let cpuStart = processCPUSeconds()
        let channel = try await GatewayTestClient.connectRaw(port: port, query: query) {
            CountingHandler(counter: counter, decompressor: try compression.map { try MessageDecompressor($0) })
        }
        let intents = GatewayIntents([.guildMessages, .messageContent]).rawValue
        let identify = #"{"op":2,"d":{"token":"\#(token)","intents":\#(intents),"properties":{"os":"linux","browser":"bench","device":"bench"}}}"#
        try await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: identify)))
        while !counter.isReady { try await Task.sleep(for: .milliseconds(1)) }
        emitLine("ready")
        while !counter.isDone { try await Task.sleep(for: .milliseconds(1)) }
        let cpu = processCPUSeconds() - cpuStart
        emitLine(#"{"received":\#(counter.received),"cpu_s":\#(cpu),"elapsed_s":\#(counter.elapsedSeconds)}"#)
    }

    /// `rest-receive`: identifies with every intent, prints `ready`, then times each MESSAGE_CREATE
    /// against the time in its content (`bench <t>`, see `RESTLoadClient`) and prints a JSON report
    /// after `count` of them, or after `idleSeconds` without one. The first `warmup` are counted, not timed.
    static func restReceive(port: Int, token: String, count: Int, warmup: Int, idleSeconds: Double) async throws {
        let log = EchoLog()
        let cpuStart = processCPUSeconds()
        let channel = try await GatewayTestClient.connectRaw(port: port, query: "v=10&encoding=json") { EchoHandler(log: log) }
        let identify = #"{"op":2,"d":{"token":"\#(token)","intents":\#(GatewayIntents.documented.rawValue),"properties":{"os":"linux","browser":"bench","device":"bench"}}}"#
        try await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: identify)))
        while !log.isReady { try await Task.sleep(for: .milliseconds(1)) }
        emitLine("ready")
        while log.received < count, Double(MonotonicClock.now() - log.lastArrival) / 1e9 < idleSeconds {
            try await Task.sleep(for: .milliseconds(2))
        }
        let summary = LatencySummary(Array(log.latencies.dropFirst(warmup)))
        let cpu = processCPUSeconds() - cpuStart
        emitLine(#"{"received":\#(log.received),"p50_ms":\#(summary.p50),"p99_ms":\#(summary.p99),"max_ms":\#(summary.max),"cpu_s":\#(cpu)}"#)
        channel.close(promise: nil)
    }

    /// `replay-client`: identifies, then measures each MESSAGE_CREATE's arrival against its scheduled time
    /// (`nonce` = recorded offset from READY in ns, divided by `speed`; 0 = max speed: no schedule).
    static func replayClient(port: Int, count: Int, speed: Double) async throws {
        let timing = LatenessLog(speed: speed)
        let channel = try await GatewayTestClient.connectRaw(port: port, query: "v=10&encoding=json") { LatenessHandler(log: timing) }
        let intents = GatewayIntents([.guilds, .guildMessages, .messageContent]).rawValue
        let identify = #"{"op":2,"d":{"token":"replay-bench","intents":\#(intents),"properties":{"os":"linux","browser":"bench","device":"bench"}}}"#
        try await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: identify)))
        while !timing.isReady { try await Task.sleep(for: .milliseconds(1)) }
        emitLine("ready")
        while timing.received < count { try await Task.sleep(for: .milliseconds(5)) }
        emitLine(timing.report())
        channel.close(promise: nil)
    }

    /// `heartbeats`: opens `connections` identified connections, heartbeats each at HELLO's interval
    /// for `seconds`, and prints ACK round-trip percentiles and missed ACKs as JSON.
    /// With `distinctSessions`, connection k identifies with `TOKEN-k` (a session each).
    static func heartbeats(port: Int, token: String, connections: Int, seconds: Int, distinctSessions: Bool) async throws {
        let stats = HeartbeatStats()
        var channels: [any Channel] = []
        var opened = 0
        while opened < connections {
            let batch = min(100, connections - opened)
            try await withThrowingTaskGroup(of: (any Channel).self) { group in
                for index in opened..<(opened + batch) {
                    let token = distinctSessions ? "\(token)-\(index)" : token
                    group.addTask {
                        try await GatewayTestClient.connectRaw(port: port, query: "v=10&encoding=json") {
                            HeartbeatHandler(token: token, stats: stats)
                        }
                    }
                }
                for try await channel in group { channels.append(channel) }
            }
            opened += batch
        }
        while stats.identified < connections { try await Task.sleep(for: .milliseconds(50)) }
        emitLine("ready")
        stats.reset()
        try await Task.sleep(for: .seconds(seconds))
        let report = stats.report()
        for channel in channels { channel.close(promise: nil) }
        emitLine(report)
    }
}

/// Counts received gateway messages; the first two (HELLO, READY) mean the bot is ready.
final class ReceiveCounter: Sendable {
    private struct State {
        var received = 0
        var seen = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
    }
    private let state = NIOLockedValueBox(State())
    let target: Int

    init(target: Int) { self.target = target }

    var received: Int { state.withLockedValue { $0.received } }
    var isReady: Bool { state.withLockedValue { $0.seen >= 2 } }
    var isDone: Bool { state.withLockedValue { $0.received >= target } }

    /// Seconds from the first counted message to the last.
    var elapsedSeconds: Double {
        state.withLockedValue { state in
            guard let first = state.first, let last = state.last else { return 0 }
            let elapsed = last - first
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }

    func count() {
        state.withLockedValue { state in
            state.seen += 1
            guard state.seen > 2 else { return }
            state.received += 1
            if state.received == 1 { state.first = .now }
            if state.received == target { state.last = .now }
        }
    }
}

/// Counts frames (decompressing them, as a real client must) without parsing JSON.
final class CountingHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    let counter: ReceiveCounter
    let decompressor: MessageDecompressor?

    init(counter: ReceiveCounter, decompressor: MessageDecompressor?) {
        self.counter = counter
        self.decompressor = decompressor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .text || frame.opcode == .binary else { return }
        if let decompressor {
            let decoded = try? frame.data.withUnsafeReadableBytes { raw in try decompressor.decompress(raw) { $0.count } }
            guard decoded != nil else { return }
        }
        counter.count()
    }
}

/// ACK round trips and missed ACKs across all connections.
final class HeartbeatStats: Sendable {
    private let state = NIOLockedValueBox((identified: 0, rtts: [UInt64](), sent: 0, missed: 0))

    var identified: Int { state.withLockedValue { $0.identified } }
    func didIdentify() { state.withLockedValue { $0.identified += 1 } }
    func didSend(missedPrevious: Bool) { state.withLockedValue { $0.sent += 1; if missedPrevious { $0.missed += 1 } } }
    func didAck(rtt: UInt64) { state.withLockedValue { $0.rtts.append(rtt) } }
    func reset() { state.withLockedValue { $0.rtts.removeAll(); $0.sent = 0; $0.missed = 0 } }

    func report() -> String {
        state.withLockedValue { state in
            let sorted = state.rtts.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
            }
            return #"{"heartbeats":\#(state.sent),"acks":\#(sorted.count),"missed":\#(state.missed),"p50_ms":\#(percentile(0.5)),"p99_ms":\#(percentile(0.99)),"max_ms":\#(sorted.last.map { Double($0) / 1e6 } ?? 0)}"#
        }
    }
}

/// Identifies, then heartbeats at HELLO's interval (first after a random jitter) and times each ACK.
final class HeartbeatHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let token: String
    let stats: HeartbeatStats
    var sentAt: UInt64?
    var identified = false
    var seq = 0

    init(token: String, stats: HeartbeatStats) {
        self.token = token
        self.stats = stats
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .text else { return }
        let text = frame.data.getString(at: frame.data.readerIndex, length: frame.data.readableBytes) ?? ""
        if text.hasPrefix(#"{"op":11"#) {
            if let sentAt { stats.didAck(rtt: MonotonicClock.now() - sentAt) }
            sentAt = nil
        } else if text.hasPrefix(#"{"op":10"#) {
            let interval = (try? JSONValue(parsing: text))?["d"]?["heartbeat_interval"]?.int64Value ?? 41_250
            send(#"{"op":2,"d":{"token":"\#(token)","intents":0,"properties":{"os":"linux","browser":"bench","device":"bench"}}}"#, context: context)
            let jitter = Int64.random(in: 0..<interval)
            scheduleHeartbeat(in: jitter, every: interval, context: context)
        } else if !identified, text.contains(#""t":"READY""#) {
            identified = true
            stats.didIdentify()
        }
    }

    private func scheduleHeartbeat(in delay: Int64, every interval: Int64, context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delay)) { [self] in
            guard context.channel.isActive else { return }
            heartbeat(context: context)
            scheduleHeartbeat(in: interval, every: interval, context: context)
        }
    }

    private func heartbeat(context: ChannelHandlerContext) {
        stats.didSend(missedPrevious: sentAt != nil)
        sentAt = MonotonicClock.now()
        send(#"{"op":1,"d":\#(seq)}"#, context: context)
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: context.channel.allocator.buffer(string: text))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}

/// Writes one line to stdout unbuffered (the parent process reads it at once).
func emitLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Arrival times of replayed events against their schedule.
final class LatenessLog: Sendable {
    private let state = NIOLockedValueBox((readyAt: UInt64(0), lateness: [Int64](), first: UInt64(0), last: UInt64(0)))
    let speed: Double

    init(speed: Double) { self.speed = speed }

    var isReady: Bool { state.withLockedValue { $0.readyAt != 0 } }
    var received: Int { state.withLockedValue { $0.lateness.count } }

    func ready(at t: UInt64) { state.withLockedValue { $0.readyAt = t } }

    func event(offset: UInt64, at t: UInt64) {
        state.withLockedValue { state in
            if state.first == 0 { state.first = t }
            state.last = t
            let scheduled = speed > 0 ? Double(offset) / speed : 0
            state.lateness.append(Int64(Double(t - state.readyAt) - scheduled))
        }
    }

    func report() -> String {
        state.withLockedValue { state in
            let magnitudes = state.lateness.map { abs($0) }.sorted()
            func percentile(_ p: Double) -> Double { Double(magnitudes[min(magnitudes.count - 1, Int(Double(magnitudes.count) * p))]) / 1e6 }
            let tenth = max(1, state.lateness.count / 10)
            let early = state.lateness.prefix(tenth).reduce(0, +) / Int64(tenth)
            let late = state.lateness.suffix(tenth).reduce(0, +) / Int64(tenth)
            return #"{"received":\#(state.lateness.count),"p50_ms":\#(percentile(0.5)),"p99_ms":\#(percentile(0.99)),"max_ms":\#(Double(magnitudes.last ?? 0) / 1e6),"drift_ms":\#(Double(late - early) / 1e6),"elapsed_s":\#(Double(state.last - state.first) / 1e9)}"#
        }
    }
}

/// Notes READY's arrival and each MESSAGE_CREATE's recorded offset (its `nonce`).
final class LatenessHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    let log: LatenessLog
    private static let nonceKey = Array(#""nonce":""#.utf8)

    init(log: LatenessLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = MonotonicClock.now()
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .text else { return }
        let view = frame.data.readableBytesView
        if !log.isReady {
            if view.starts(with: EchoHandler.dispatch), frame.data.getSlice(at: frame.data.readerIndex, length: min(64, view.count))?.offset(of: EchoHandler.ready) != nil {
                log.ready(at: now)
            }
            return
        }
        // At full speed there is no schedule: count only.
        guard log.speed > 0 else { return log.event(offset: 0, at: now) }
        guard let offset = frame.data.number(after: Self.nonceKey) else { return }
        log.event(offset: offset, at: now)
    }
}

/// MESSAGE_CREATEs received and how long after their request was due each arrived.
final class EchoLog: Sendable {
    private let state = NIOLockedValueBox((ready: false, latencies: [UInt64](), last: UInt64(0)))

    var isReady: Bool { state.withLockedValue { $0.ready } }
    var received: Int { state.withLockedValue { $0.latencies.count } }
    var latencies: [UInt64] { state.withLockedValue { $0.latencies } }
    /// When the last event (or READY) arrived.
    var lastArrival: UInt64 { state.withLockedValue { $0.last } }

    func ready(at t: UInt64) { state.withLockedValue { ($0.ready, $0.last) = (true, t) } }
    func event(due: UInt64, at t: UInt64) { state.withLockedValue { $0.latencies.append(t &- due); $0.last = t } }
}

/// Notes READY, then each MESSAGE_CREATE with the due time in its content (`"content":"bench <20 digits>"`).
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    let log: EchoLog
    static let dispatch = Array(#"{"op":0,"s":"#.utf8)
    private static let messageCreate = Array(#""t":"MESSAGE_CREATE""#.utf8)
    static let ready = Array(#""t":"READY""#.utf8)
    private static let content = Array(#""content":"bench "#.utf8)

    init(log: EchoLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = MonotonicClock.now()
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .text else { return }
        let view = frame.data.readableBytesView
        guard view.starts(with: Self.dispatch) else { return }
        // The event name comes right after the sequence number.
        let head = frame.data.getSlice(at: frame.data.readerIndex, length: min(64, view.count)) ?? ByteBuffer()
        if !log.isReady {
            if head.offset(of: Self.ready) != nil { log.ready(at: now) }
            return
        }
        guard head.offset(of: Self.messageCreate) != nil else { return }
        log.event(due: frame.data.number(after: Self.content) ?? 0, at: now)
    }
}

extension ByteBuffer {
    /// Where `needle` first occurs in the readable bytes (`memchr` and `memcmp`: the clients must cost
    /// little next to the server they measure, and the generic `firstRange(of:)` costs microseconds a frame).
    func offset(of needle: [UInt8]) -> Int? {
        guard let first = needle.first else { return 0 }
        return withUnsafeReadableBytes { haystack -> Int? in
            needle.withUnsafeBytes { needle -> Int? in
                guard let base = haystack.baseAddress else { return nil }
                var start = 0
                while haystack.count - start >= needle.count,
                    let hit = memchr(base + start, Int32(first), haystack.count - start - needle.count + 1)
                {
                    let offset = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(hit, needle.baseAddress!, needle.count) == 0 { return offset }
                    start = offset + 1
                }
                return nil
            }
        }
    }

    /// The decimal number right after the first `key` in the readable bytes.
    func number(after key: [UInt8]) -> UInt64? {
        guard let start = offset(of: key) else { return nil }
        var value: UInt64 = 0
        for byte in readableBytesView.dropFirst(start + key.count) {
            guard byte >= 0x30, byte <= 0x39 else { break }
            value = value * 10 + UInt64(byte - 0x30)
        }
        return value
    }
}
