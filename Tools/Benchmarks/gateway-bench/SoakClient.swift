import Foundation
import GatewayModel
import GatewayTestClient
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The bots of `soak`: `connections` connections, each its own session (`soak-N`), heartbeating at
/// HELLO's interval, counting dispatches, resuming whenever the server closes them with 4000, and
/// posting (then deleting) `restPerSecond` messages a second over keep-alive REST connections.
enum SoakClient {
    static func run(port: Int, connections: Int, seconds: Int, restPerSecond: Int) async throws {
        let stats = SoakStats()
        for start in stride(from: 0, to: connections, by: 100) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in start..<min(connections, start + 100) {
                    group.addTask { try await connect(port: port, token: "soak-\(index)", resume: nil, stats: stats) }
                }
                try await group.waitForAll()
            }
        }
        while stats.identified < connections { try await Task.sleep(for: .milliseconds(50)) }
        emitLine("ready")
        let http = URLSession(configuration: .ephemeral)
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            let tick = ContinuousClock.now
            for _ in 0..<max(1, restPerSecond / 10) {
                let ok = await postAndDelete(http, port: port, token: "soak-\(Int.random(in: 0..<connections))")
                stats.didREST(ok: ok)
            }
            try await Task.sleep(until: min(end, tick + .milliseconds(100)), clock: .continuous)
        }
        stats.stop()
        // Bots that shut down close with 1000, which ends their sessions: nothing is left waiting for
        // a RESUME (and buffering dispatches) into the next round.
        await stats.closeAll()
        emitLine(stats.report())
    }

    /// A bot's `POST /api/v10/channels/{id}/messages` then `DELETE` of that message, on keep-alive
    /// connections; whether both succeeded.
    static func postAndDelete(_ http: URLSession, port: Int, token: String) async -> Bool {
        let channel = "http://127.0.0.1:\(port)/api/v10/channels/1100000000000000101/messages"
        var post = URLRequest(url: URL(string: channel)!)
        post.httpMethod = "POST"
        post.httpBody = Data(#"{"content":"soak reply"}"#.utf8)
        post.setValue("application/json", forHTTPHeaderField: "Content-Type")
        post.setValue("Bot " + token, forHTTPHeaderField: "Authorization")
        guard let (data, response) = try? await http.data(for: post), (response as? HTTPURLResponse)?.statusCode == 200,
            let id = (try? JSONValue(parsing: [UInt8](data)))?["id"]?.stringValue
        else { return false }
        var delete = URLRequest(url: URL(string: channel + "/" + id)!)
        delete.httpMethod = "DELETE"
        delete.setValue("Bot " + token, forHTTPHeaderField: "Authorization")
        guard let (_, deleted) = try? await http.data(for: delete) else { return false }
        return (deleted as? HTTPURLResponse)?.statusCode == 204
    }

    /// Opens a connection that identifies, or resumes `resume` (gateway session id, last seq).
    @discardableResult
    static func connect(port: Int, token: String, resume: (session: String, seq: Int)?, stats: SoakStats) async throws -> any Channel {
        try await GatewayTestClient.connectRaw(port: port, query: "v=10&encoding=json") {
            SoakHandler(port: port, token: token, resume: resume, stats: stats)
        }
    }
}

/// Counters shared by every soak connection.
final class SoakStats: Sendable {
    private struct State {
        var identified = 0, heartbeats = 0, missed = 0, dispatches = 0, resumes = 0, resumeFailures = 0, restCalls = 0, restFailures = 0
        var rtts: [UInt64] = []
        var stopped = false
    }
    private let state = NIOLockedValueBox(State())

    var identified: Int { state.withLockedValue { $0.identified } }
    var stopped: Bool { state.withLockedValue { $0.stopped } }
    func update(_ body: (inout Int, inout Int, inout Int, inout Int, inout Int, inout Int) -> Void) {
        state.withLockedValue { body(&$0.identified, &$0.heartbeats, &$0.missed, &$0.dispatches, &$0.resumes, &$0.resumeFailures) }
    }
    func didAck(rtt: UInt64) { state.withLockedValue { $0.rtts.append(rtt) } }
    func didREST(ok: Bool) { state.withLockedValue { $0.restCalls += 2; if !ok { $0.restFailures += 1 } } }
    func stop() { state.withLockedValue { $0.stopped = true } }

    private let channels = NIOLockedValueBox<[any Channel]>([])
    func register(_ channel: any Channel) { channels.withLockedValue { $0.append(channel) } }

    /// Closes every open connection with 1000.
    func closeAll() async {
        for channel in channels.withLockedValue({ $0 }) where channel.isActive {
            var code = channel.allocator.buffer(capacity: 2)
            code.writeInteger(UInt16(1000))
            try? await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: code)).get()
            try? await channel.close()
        }
    }

    func report() -> String {
        state.withLockedValue { state in
            let sorted = state.rtts.sorted()
            let p99 = sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]) / 1e6
            return #"{"heartbeats":\#(state.heartbeats),"acks":\#(sorted.count),"missed":\#(state.missed),"p99_ms":\#(p99),"dispatches":\#(state.dispatches),"resumes":\#(state.resumes),"resume_failures":\#(state.resumeFailures),"rest_calls":\#(state.restCalls),"rest_failures":\#(state.restFailures)}"#
        }
    }
}

/// One soak connection: IDENTIFY (or RESUME), heartbeats, and a RESUME on a new connection after a 4000.
final class SoakHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let port: Int
    let token: String
    let stats: SoakStats
    var resume: (session: String, seq: Int)?
    var sessionID: String?
    var seq = 0
    var sentAt: UInt64?
    var closeCode: Int?

    init(port: Int, token: String, resume: (session: String, seq: Int)?, stats: SoakStats) {
        self.port = port; self.token = token; self.resume = resume; self.stats = stats
        if let resume { sessionID = resume.session; seq = resume.seq }
    }

    func handlerAdded(context: ChannelHandlerContext) { stats.register(context.channel) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.opcode == .connectionClose {
            var payload = frame.unmaskedData
            closeCode = payload.readInteger(as: UInt16.self).map(Int.init)
            context.close(promise: nil)
            return
        }
        guard frame.opcode == .text else { return }
        let text = frame.data.getString(at: frame.data.readerIndex, length: frame.data.readableBytes) ?? ""
        if text.hasPrefix(#"{"op":11"#) {
            if let sentAt { stats.didAck(rtt: MonotonicClock.now() - sentAt) }
            sentAt = nil
            return
        }
        guard let payload = try? JSONValue(parsing: text) else { return }
        if let s = payload["s"]?.int64Value { seq = Int(s) }
        switch payload["op"]?.int64Value {
        case 10:
            let interval = payload["d"]?["heartbeat_interval"]?.int64Value ?? 41_250
            if let resume {
                send(#"{"op":6,"d":{"token":"\#(token)","session_id":"\#(resume.session)","seq":\#(resume.seq)}}"#, context: context)
            } else {
                send(#"{"op":2,"d":{"token":"\#(token)","intents":513,"properties":{"os":"linux","browser":"soak","device":"soak"}}}"#, context: context)
            }
            scheduleHeartbeat(in: Int64.random(in: 0..<interval), every: interval, context: context)
        case 9:
            // After the round's end a resume still in flight meets a session its bot just closed: not a failure.
            if !stats.stopped { stats.update { _, _, _, _, _, failures in failures += 1 } }
            context.close(promise: nil)
        case 0:
            switch payload["t"]?.stringValue {
            case "READY":
                sessionID = payload["d"]?["session_id"]?.stringValue
                stats.update { identified, _, _, _, _, _ in identified += 1 }
            case "RESUMED":
                stats.update { _, _, _, _, resumes, _ in resumes += 1 }
            default:
                stats.update { _, _, _, dispatches, _, _ in dispatches += 1 }
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A resumable close from the server: resume on a new connection, as a bot would.
        if closeCode == 4000, let sessionID, !stats.stopped {
            let (port, token, stats, seq) = (port, token, stats, seq)
            Task { try? await SoakClient.connect(port: port, token: token, resume: (sessionID, seq), stats: stats) }
        }
        context.fireChannelInactive()
    }

    private func scheduleHeartbeat(in delay: Int64, every interval: Int64, context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delay)) { [self] in
            guard context.channel.isActive, !stats.stopped else { return }
            stats.update { _, heartbeats, missed, _, _, _ in
                heartbeats += 1
                if sentAt != nil { missed += 1 }
            }
            sentAt = MonotonicClock.now()
            send(#"{"op":1,"d":\#(seq)}"#, context: context)
            scheduleHeartbeat(in: interval, every: interval, context: context)
        }
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: context.channel.allocator.buffer(string: text))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}
