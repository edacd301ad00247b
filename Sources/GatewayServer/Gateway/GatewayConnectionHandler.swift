import GatewayCompression
import GatewayModel
import GatewayScenario
import NIOCore
import NIOWebSocket

/// One gateway connection on its event loop: reads raw WebSocket frames (so close codes, pings and
/// fragments are all seen), runs the protocol, writes frames from the outbox and reports every
/// frame to the recording sink.
final class GatewayConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    /// Client payloads over this size close with 4002 (Discord's limit). The WebSocket decoder refuses
    /// a bigger frame from its header (``GatewayChildChannel``), and a fragmented message is refused
    /// as soon as its fragments add up to more, so a client cannot make the server buffer, parse or
    /// record more than this.
    static let maxPayloadSize = 4_096
    private static let oversizedReason = "Decode error: payload over \(maxPayloadSize) bytes."
    static let rateLimitCount = 120
    static let rateLimitWindow: UInt64 = 60_000_000_000

    let server: GatewayServer
    let state: GatewayState
    let handle: ConnectionHandle
    /// The gateway URL clients reach this server by, e.g. `ws://127.0.0.1:8765`.
    let gatewayURL: String
    /// The upgrade request's path.
    let path: String
    private let compressor: MessageCompressor?
    /// A refusal decided at the upgrade (bad `v`, unknown encoding, server shutting down): close at once.
    private let refusal: GatewayCloseCode?

    private(set) var context: ChannelHandlerContext?
    /// Where framed bytes are written: the context of NIO's frame encoder, so they go out below it
    /// (this handler frames its own output, a batch of frames per write).
    private var wire: ChannelHandlerContext?
    /// Frames queued for the next write: one buffer per batch.
    private var batch: ByteBuffer
    /// Scratch space for a message that is compressed before it is framed.
    private var scratch: ByteBuffer
    private var fragments: ByteBuffer?
    private(set) var botSession: BotSession?
    private(set) var gatewaySession: GatewaySession?
    private var heartbeatIntervalNanoseconds: UInt64 = 0
    private var lastHeartbeat: UInt64 = 0
    private var heartbeatCheck: Scheduled<Void>?
    private var commandTimes = CircularBuffer<UInt64>(initialCapacity: 4)
    private var closeRecorded = false
    /// Outbound frames of the batch being built, not yet handed to the recorder.
    private var pendingFrames: [PendingFrame] = []
    private(set) var closing = false
    /// Whether the connection's `open` event went to its session's scenario (at its IDENTIFY or RESUME).
    private var announcedOpen = false
    /// Set in proxy mode (SPEC §10): the upstream this connection is forwarded to.
    var proxy: ProxyState?

    init(
        server: GatewayServer, handle: ConnectionHandle, gatewayURL: String, path: String, compressor: MessageCompressor?,
        refusal: GatewayCloseCode?
    ) {
        self.server = server
        self.state = server.state
        self.handle = handle
        self.gatewayURL = gatewayURL
        self.path = path
        self.proxy = state.configuration.upstream.map { ProxyState(upstream: $0) }
        self.compressor = compressor
        self.refusal = refusal
        self.batch = ByteBuffer()
        self.scratch = ByteBuffer()
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        wire = (try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)) ?? context
        handle.bind(self)
        state.registry.add(handle)
        state.sink?.record(.connectionOpened(ConnectionOpenedRecord(connectionID: handle.id, query: handle.query, t: MonotonicClock.now())))
        if let refusal {
            close(code: refusal, reason: refusal.reason, endsSession: true)
            return
        }
        if proxy != nil { return startProxy(context: context) }
        let interval = state.heartbeatInterval
        heartbeatIntervalNanoseconds = UInt64(interval) * 1_000_000
        lastHeartbeat = MonotonicClock.now()
        sendCommand(.hello, data: #"{"heartbeat_interval":\#(interval)}"#)
        scheduleHeartbeatCheck()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !closeRecorded {
            // The TCP connection ended with no close frame.
            recordClose(code: nil, reason: nil, by: .drop, endsSession: false)
        }
        dropUpstream()
        finish()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server allows half-closure: a client that shuts its side down has gone.
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        handle.setChannelWritable(context.channel.isWritable)
        updateUpstreamReading()
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed WebSocket framing (e.g. an oversized or unmasked frame) is a decode error.
        if !closing, let error = error as? NIOWebSocketError {
            let reason = error == .invalidFrameLength ? Self.oversizedReason : "Decode error."
            close(code: .decodeError, reason: reason, endsSession: false)
        } else {
            context.close(promise: nil)
        }
    }

    private func finish() {
        heartbeatCheck?.cancel()
        heartbeatCheck = nil
        handle.markClosed()
        handle.bind(nil)
        state.registry.remove(handle)
        context = nil
        wire = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closing else {
            // The client's answer to our close frame completes the closing handshake.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        // RFC 6455: a client masks every frame, and sets no reserved bit (no extension is negotiated).
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return close(code: .decodeError, reason: "Decode error.", endsSession: false)
        }
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                receiveMessage(frame.unmaskedData)
            } else {
                fragments = frame.unmaskedData
            }
        case .continuation:
            guard var buffer = fragments else { return close(code: .decodeError, reason: "Decode error.", endsSession: false) }
            guard buffer.readableBytes + frame.length <= Self.maxPayloadSize else {
                fragments = nil
                return close(code: .decodeError, reason: Self.oversizedReason, endsSession: false)
            }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            if frame.fin {
                fragments = nil
                receiveMessage(buffer)
            } else {
                fragments = buffer
            }
        case .ping:
            WebSocketWire.writeFrame(.pong, payload: frame.unmaskedData, into: &batch)
            flushBatch()
        case .connectionClose:
            receiveClose(frame)
        case .pong:
            break  // an unsolicited pong is allowed
        default:
            close(code: .decodeError, reason: "Decode error.", endsSession: false)  // a reserved opcode
        }
    }

    private func receiveClose(_ frame: WebSocketFrame) {
        var data = frame.unmaskedData
        let code = data.readInteger(as: UInt16.self)
        let reason = data.readString(length: data.readableBytes)
        let closeCode = code.map(GatewayCloseCode.init(rawValue:))
        // 1000 and 1001 end the gateway session; any other code (or none) keeps it resumable.
        let ends = closeCode.map { !$0.clientCloseKeepsSession } ?? false
        recordClose(code: code.map(Int.init), reason: reason, by: .client, endsSession: ends)
        closeUpstream(code: code, reason: reason ?? "")
        closing = true
        guard let context else { return }
        var echo = ByteBuffer()
        if let code { echo.writeInteger(code) }
        WebSocketWire.writeFrame(.close, payload: echo, into: &batch)
        let channel = context.channel
        (wire ?? context).writeAndFlush(NIOAny(takeBatch())).whenComplete { _ in channel.close(promise: nil) }
    }

    private func receiveMessage(_ message: ByteBuffer) {
        // Before anything is copied, parsed or recorded.
        guard message.readableBytes <= Self.maxPayloadSize else {
            return close(code: .decodeError, reason: Self.oversizedReason, endsSession: false)
        }
        let bytes = Array(message.readableBytesView)
        let parsed = try? JSONValue(parsing: bytes)
        // `op` is an integer: not a string or a fraction that would read as one.
        let op: Int? = if case .int(let value)? = parsed?["op"] { Int(truncatingIfNeeded: value) } else { nil }
        if let sink = state.trafficSink {
            recordPendingFrames()
            let payload = Redaction.redactTokenFields(in: bytes)
            sink.record(.frame(FrameRecord(
                connectionID: handle.id, sessionID: botSession?.id, t: MonotonicClock.now(), direction: .inbound,
                op: op, seq: nil, event: nil, payload: payload, wireBytes: message.readableBytes)))
        }
        // Proxy mode: the upstream runs the protocol (and enforces its limits); scenario rules on the
        // bot's frame act first, and an action that replaces the answer keeps the frame from the upstream.
        if proxy != nil {
            if let op, runScenario(for: GatewayOpcode(rawValue: op), data: parsed?["d"] ?? .null) { return }
            return proxyReceive(message, parsed: parsed, op: op)
        }
        guard let parsed, case .object = parsed, let op else {
            return close(code: .decodeError, reason: "Decode error.", endsSession: false)
        }
        if state.configuration.rateLimit, isRateLimited() {
            return close(code: .rateLimited, reason: "Rate limited.", endsSession: false)
        }
        let opcode = GatewayOpcode(rawValue: op)
        guard GatewayOpcode.clientOpcodes.contains(opcode) else {
            return close(code: .unknownOpcode, reason: "Unknown opcode.", endsSession: false)
        }
        let data = parsed["d"] ?? .null
        if gatewaySession == nil, opcode != .heartbeat, opcode != .identify, opcode != .resume {
            return close(code: .notAuthenticated, reason: "Not authenticated.", endsSession: false)
        }
        if runScenario(for: opcode, data: data) {
            context?.flush()
            return
        }
        switch opcode {
        case .heartbeat: receiveHeartbeat(data)
        case .identify: receiveIdentify(data)
        case .resume: receiveResume(data)
        case .requestGuildMembers, .voiceStateUpdate:
            if let responses = respondFromResponder(opcode, data) {
                for response in responses { gatewaySession?.deliver(event: response.event, data: ByteBuffer(bytes: response.data.jsonBytes)) }
            } else if opcode == .requestGuildMembers {
                receiveRequestGuildMembers(data)
            } else {
                receiveVoiceStateUpdate(data)
            }
        default: break  // op 3, 31, 43: accepted and recorded.
        }
        context?.flush()
    }

    private func respondFromResponder(_ opcode: GatewayOpcode, _ data: JSONValue) -> [(event: String, data: JSONValue)]? {
        guard let responder = state.configuration.commandResponder, let gateway = gatewaySession else { return nil }
        return responder.responses(to: opcode, data: data, sessionID: gateway.botSession.id, shard: gateway.shard.map { [$0.id, $0.count] })
    }

    private func isRateLimited() -> Bool {
        let now = MonotonicClock.now()
        while let first = commandTimes.first, now &- first >= Self.rateLimitWindow { commandTimes.removeFirst() }
        guard commandTimes.count < Self.rateLimitCount else { return true }
        commandTimes.append(now)
        return false
    }

    // MARK: Heartbeats

    /// `d` is the last sequence number the client received: the dispatches up to it are no longer
    /// kept for a RESUME (a client resumes from at least that number), so a connected session's resume
    /// buffer holds only what was sent since its last heartbeat.
    private func receiveHeartbeat(_ data: JSONValue) {
        lastHeartbeat = MonotonicClock.now()
        if let received = data.int64Value { gatewaySession?.forget(through: received) }
        if botSession?.stopsHeartbeatAcks != true {
            sendCommand(.heartbeatACK, data: "null")
        }
    }

    /// No heartbeat for 1.5 × the interval closes with 4009 (the session is then not resumable).
    private func scheduleHeartbeatCheck() {
        guard let context else { return }
        let deadline = lastHeartbeat &+ heartbeatIntervalNanoseconds &+ heartbeatIntervalNanoseconds / 2
        let now = MonotonicClock.now()
        let delay = deadline > now ? deadline - now : 0
        heartbeatCheck = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay))) { [self] in
            guard !closing else { return }
            let now = MonotonicClock.now()
            if now &- lastHeartbeat >= heartbeatIntervalNanoseconds &+ heartbeatIntervalNanoseconds / 2 {
                close(code: .sessionTimedOut, reason: "Session timed out.", endsSession: true)
            } else {
                scheduleHeartbeatCheck()
            }
        }
    }

    // MARK: Outbound

    /// Writes queued items in order (called by the outbox on this event loop): every frame of the
    /// batch is encoded into one buffer, written and flushed once.
    func write(_ items: [OutboundItem]) {
        guard context != nil, !closing else { return }
        // Once per batch: whether a scenario rule waits for a dispatch of this session.
        let watcher = dispatchWatcher()
        var estimate = 0
        for case .dispatch(_, let event, let data, _) in items { estimate += data.readableBytes + event.utf8.count + 48 }
        batch.reserveCapacity(minimumWritableBytes: estimate)
        for item in items {
            switch item {
            case .dispatch(let seq, let event, let data, let cause):
                appendDispatch(seq: seq, event: event, data: data, cause: cause)
                if let watcher { observeDispatched(event, watcher: watcher) }
            case .command(let op, let data):
                appendCommand(op, data: data)
            case .close(let code, let reason, let endsSession):
                close(code: code, reason: reason, endsSession: endsSession)
            case .drop:
                drop()
            }
            if closing { break }
        }
        flushBatch()
    }

    /// Sends one non-dispatch frame at once (HELLO, ACK, op 9 ...).
    func sendCommand(_ op: GatewayOpcode, data: String) {
        appendCommand(op, data: data)
        flushBatch()
    }

    private func appendDispatch(seq: Int64, event: String, data: ByteBuffer, cause: Int64?) {
        guard compressor == nil else {
            scratch.clear()
            GatewayFrame.dispatch(seq: seq, event: event, data: data, into: &scratch)
            return appendCompressed(scratch, op: GatewayOpcode.dispatch.rawValue, seq: seq, event: event, cause: cause)
        }
        // Plain JSON: the header first, then the frame's JSON spliced straight into the batch.
        let length = GatewayFrame.dispatchLength(seq: seq, event: event, data: data)
        WebSocketWire.writeHeader(.text, length: length, into: &batch)
        let start = batch.writerIndex
        GatewayFrame.dispatch(seq: seq, event: event, data: data, into: &batch)
        recordOutbound(
            .inBatch(start: start, length: length), op: GatewayOpcode.dispatch.rawValue, seq: seq, event: event, wireBytes: length,
            cause: cause)
    }

    private func appendCommand(_ op: GatewayOpcode, data: String) {
        scratch.clear()
        GatewayFrame.command(op: op, data: data, into: &scratch)
        if compressor != nil {
            appendCompressed(scratch, op: op.rawValue, seq: nil, event: nil)
        } else {
            WebSocketWire.writeFrame(.text, payload: scratch, into: &batch)
            let length = scratch.readableBytes
            recordOutbound(.inBatch(start: batch.writerIndex - length, length: length), op: op.rawValue, seq: nil, event: nil, wireBytes: length)
        }
    }

    /// Compresses one message's JSON with the connection's context and frames it as binary.
    private func appendCompressed(_ json: ByteBuffer, op: Int?, seq: Int64?, event: String?, cause: Int64? = nil) {
        guard let compressor else { return }
        do {
            let wireBytes = try json.withUnsafeReadableBytes { raw in
                try compressor.compress(raw) { out in
                    WebSocketWire.writeFrame(.binary, payload: out, into: &batch)
                    return out.count
                }
            }
            recordOutbound(.copy(json), op: op, seq: seq, event: event, wireBytes: wireBytes, cause: cause)
        } catch {
            close(code: .unknownError, reason: "Compression failed.", endsSession: false)
        }
    }

    /// Where a sent frame's JSON is.
    private enum OutboundJSON {
        /// In `batch` at these indices (plain JSON): recorded as a slice of the batch once it is sent.
        case inBatch(start: Int, length: Int)
        /// In a buffer that is reused (compression's scratch): recorded as a copy.
        case copy(ByteBuffer)
    }

    /// A sent frame waiting for its batch to be sent, then handed to the recorder.
    private struct PendingFrame {
        var json: OutboundJSON
        var op: Int?
        var seq: Int64?
        var event: String?
        var wireBytes: Int
        var t: UInt64
        var cause: Int64?
    }

    /// Keeps a sent frame for the recorder; the batch's frames are handed over together when the
    /// batch is sent. Tokens of INTERACTION_CREATE and VOICE_SERVER_UPDATE are redacted in a copy.
    private func recordOutbound(_ json: OutboundJSON, op: Int?, seq: Int64?, event: String?, wireBytes: Int, cause: Int64? = nil) {
        guard state.trafficSink != nil else { return }
        var json = json
        if event == "INTERACTION_CREATE" || event == "VOICE_SERVER_UPDATE" {
            let bytes: [UInt8]
            switch json {
            case .inBatch(let start, let length): bytes = batch.getBytes(at: start, length: length) ?? []
            case .copy(let buffer): bytes = Array(buffer.readableBytesView)
            }
            json = .copy(ByteBuffer(bytes: Redaction.redactTokenFields(in: bytes)))
        } else if case .copy(let buffer) = json {
            var own = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
            own.writeImmutableBuffer(buffer)
            json = .copy(own)
        }
        pendingFrames.append(PendingFrame(json: json, op: op, seq: seq, event: event, wireBytes: wireBytes, t: MonotonicClock.now(), cause: cause))
    }

    /// Hands the frames kept since the last call to the recorder, in one call. Frames in the batch
    /// become slices of it, so call this when the batch is complete (no copy is made then).
    private func recordPendingFrames() {
        guard !pendingFrames.isEmpty, let sink = state.trafficSink else { return }
        let sessionID = botSession?.id
        let records = pendingFrames.map { frame -> RecordEvent in
            let payload: ByteBuffer
            switch frame.json {
            case .inBatch(let start, let length): payload = batch.getSlice(at: start, length: length) ?? ByteBuffer()
            case .copy(let buffer): payload = buffer
            }
            return .frame(FrameRecord(
                connectionID: handle.id, sessionID: sessionID, t: frame.t, direction: .outbound, op: frame.op,
                seq: frame.seq, event: frame.event, payload: payload, wireBytes: frame.wireBytes, causeHTTPID: frame.cause))
        }
        pendingFrames.removeAll(keepingCapacity: true)
        sink.record(contentsOf: records)
    }

    /// Appends a frame forwarded from an upstream (proxy mode) as it is: its JSON text is not rebuilt.
    func appendForwarded(_ json: UnsafeRawBufferPointer, header: GatewayFrameHeader) {
        guard compressor == nil else {
            scratch.clear()
            scratch.writeBytes(json)
            return appendCompressed(scratch, op: header.op, seq: header.seq, event: header.event)
        }
        WebSocketWire.writeHeader(.text, length: json.count, into: &batch)
        let start = batch.writerIndex
        batch.writeBytes(json)
        recordOutbound(.inBatch(start: start, length: json.count), op: header.op, seq: header.seq, event: header.event, wireBytes: json.count)
    }

    /// Writes and flushes what the batch holds.
    func flushBatch() {
        guard let wire, batch.readableBytes > 0 else { return }
        wire.writeAndFlush(NIOAny(takeBatch()), promise: nil)
    }

    /// The batch's bytes, leaving an empty batch behind (a new buffer: the old one is on its way out).
    private func takeBatch() -> ByteBuffer {
        recordPendingFrames()
        let full = batch
        batch = ByteBuffer()
        return full
    }

    // MARK: Closing

    /// How long the server waits for the client's close frame before it closes the socket itself.
    static let closeTimeout: TimeAmount = .seconds(2)

    /// Sends a close frame with `code`; the socket closes when the client answers (or after `closeTimeout`).
    func close(code: GatewayCloseCode, reason: String, endsSession: Bool) {
        guard let context, !closing else { return }
        closing = true
        recordClose(code: Int(code.rawValue), reason: reason, by: .server, endsSession: endsSession || code.serverCloseEndsSession)
        var data = ByteBuffer()
        data.writeInteger(code.rawValue)
        data.writeString(String(reason.utf8.prefix(123)) ?? "")
        WebSocketWire.writeFrame(.close, payload: data, into: &batch)
        flushBatch()
        closeUpstream(code: code.rawValue, reason: reason)
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: Self.closeTimeout) { channel.close(promise: nil) }
    }

    /// Cuts the TCP connection with no close frame.
    func drop() {
        guard let context, !closing else { return }
        flushBatch()
        closing = true
        recordClose(code: nil, reason: "dropped by server", by: .drop, endsSession: false)
        dropUpstream()
        context.channel.closeWithReset()
    }

    private func recordClose(code: Int?, reason: String?, by side: ClosedBy, endsSession: Bool) {
        guard !closeRecorded else { return }
        closeRecorded = true
        recordPendingFrames()
        gatewaySession?.detach(handle, endsSession: endsSession, now: MonotonicClock.now())
        state.sink?.record(.connectionClosed(ConnectionClosedRecord(
            connectionID: handle.id, code: code, reason: reason, closedBy: side, t: MonotonicClock.now())))
        if let botSession { server.observeScenario(.connection(.closed), session: botSession, target: .session(botSession)) }
    }

    // MARK: Scenarios

    /// The session and its scenario when one of its rules waits for a dispatch, else `nil` (so a
    /// scenario without `dispatched` rules costs the dispatch path nothing more).
    func dispatchWatcher() -> (session: BotSession, scenario: SessionScenario)? {
        botSession.flatMap { session in session.scenario.flatMap { $0.watchesDispatches ? (session, $0) : nil } }
    }

    /// A dispatch was queued for the bot: the scenario's `dispatched` rules act on this connection, after it.
    func observeDispatched(_ event: String, watcher: (session: BotSession, scenario: SessionScenario)) {
        server.observe(.dispatched(event), scenario: watcher.scenario, target: .frame(self, watcher.session, gateway: gatewaySession))
    }

    /// Feeds a client frame to its session's scenario before the frame is answered (IDENTIFY and
    /// RESUME are first the connection's `open`). Rules act on this connection.
    /// - Returns: whether an action replaced the answer (closed the connection or sent op 9).
    private func runScenario(for opcode: GatewayOpcode, data: JSONValue) -> Bool {
        var session = botSession
        var resumed: GatewaySession?
        if session == nil, let token = data["token"]?.stringValue, !token.isEmpty {
            if opcode == .identify {
                session = state.registry.session(
                    forToken: token, autoCreate: !state.configuration.strictTokens, fixture: state.configuration.fixture)
            } else if opcode == .resume, let id = data["session_id"]?.stringValue, let gateway = state.registry.gatewaySession(id: id),
                gateway.botSession.token == token
            {
                session = gateway.botSession
                resumed = gateway
            }
        }
        guard let session, session.scenario != nil else { return false }
        let target = ControlTarget.frame(self, session, gateway: resumed)
        if !announcedOpen, opcode == .identify || opcode == .resume {
            announcedOpen = true
            if server.observeScenario(.connection(.open), session: session, target: target) { return true }
        }
        return server.observeScenario(.clientOp(opcode.rawValue), session: session, target: target)
    }

    // MARK: Identify and resume (see GatewayConnectionHandler+Commands.swift)

    func attach(botSession: BotSession, gatewaySession: GatewaySession) {
        self.botSession = botSession
        self.gatewaySession = gatewaySession
        handle.updateInfo { info in
            info.sessionID = botSession.id
            info.gatewaySessionID = gatewaySession.id
            info.shard = gatewaySession.shard.map { [$0.id, $0.count] }
            info.intents = gatewaySession.intents.rawValue
            info.identified = true
        }
        state.sink?.record(.connectionIdentified(ConnectionIdentifiedRecord(
            connectionID: handle.id, sessionID: botSession.id, gatewaySessionID: gatewaySession.id,
            shardID: gatewaySession.shard?.id, shardCount: gatewaySession.shard?.count)))
    }
}
