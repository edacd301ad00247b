import GatewayModel
import GatewayScenario
import NIOCore

/// Proxy mode (SPEC §10): the bot's frames go to an upstream gateway and the upstream's frames come
/// back to the bot. The bot's side keeps everything else of the handler: its transport compression,
/// the recording of frames as the bot saw them, sessions, and the fault controls.
extension GatewayConnectionHandler {
    /// The upstream half of a proxied connection and what is in flight between the two.
    struct ProxyState {
        let upstream: any GatewayUpstream
        var connection: (any GatewayUpstreamConnection)?
        /// The upstream side has ended (closed, dropped, failed, or closed by us): nothing more goes to it.
        var ended = false
        /// The bot's IDENTIFY in flight: attached to a gateway session when READY arrives.
        var identify: (bot: BotSession, intents: GatewayIntents, shard: (id: Int, count: Int)?)?
        /// The bot's RESUME in flight: attached when RESUMED arrives.
        var resume: (bot: BotSession, gatewaySessionID: String)?
        /// The last sequence number forwarded, shown by the control API.
        var lastSeq: Int64?
        /// The upstream is not read while the recorder is behind.
        var waitingForRecorder = false
    }

    /// How the upstream side ended.
    enum UpstreamEnding {
        case closed(code: UInt16?, reason: String)
        case dropped
        case failed(String)
    }

    /// Opens the upstream connection (instead of HELLO: the upstream's HELLO is forwarded).
    func startProxy(context: ChannelHandlerContext) {
        guard let upstream = proxy?.upstream else { return }
        let relay = GatewayRelay(handler: self, eventLoop: context.eventLoop, gatewayURL: gatewayURL, path: path, query: handle.query)
        proxy?.connection = upstream.connect(relay)
    }

    /// A bot message (already recorded, and seen by the session's scenario): IDENTIFY and RESUME are
    /// noted so that the upstream's READY or RESUMED attaches the connection to a session; a RESUME of a
    /// session invalidated through the control API gets op 9 `d: false` here and never reaches the upstream.
    func proxyReceive(_ message: ByteBuffer, parsed: JSONValue?, op: Int?) {
        guard var proxy, !proxy.ended else { return }
        let data = parsed?["d"] ?? .null
        let registry = state.registry
        switch op.map(GatewayOpcode.init(rawValue:)) {
        case .identify?:
            if let token = data["token"]?.stringValue, !token.isEmpty,
                let bot = registry.session(forToken: token, autoCreate: true, fixture: state.configuration.fixture)
            {
                let intents = GatewayIntents(rawValue: UInt64(max(data["intents"]?.int64Value ?? 0, 0)))
                var shard: (id: Int, count: Int)?
                if let pair = data["shard"]?.arrayValue, pair.count == 2, let id = pair[0].int64Value, let count = pair[1].int64Value {
                    shard = (Int(id), Int(count))
                }
                proxy.identify = (bot, intents, shard)
            }
        case .resume?:
            if let token = data["token"]?.stringValue, let gatewaySessionID = data["session_id"]?.stringValue {
                let known = registry.gatewaySession(id: gatewaySessionID)
                if known?.isInvalidated == true {
                    self.proxy = proxy
                    return sendCommand(.invalidSession, data: "false")
                }
                let bot = known?.botSession ?? registry.session(forToken: token, autoCreate: true, fixture: state.configuration.fixture)
                if let bot { proxy.resume = (bot, gatewaySessionID) }
            }
        default:
            break
        }
        self.proxy = proxy
        proxy.connection?.send(message)
    }

    /// The upstream answered IDENTIFY with READY: a gateway session with the upstream's id, and the
    /// session's first READY for its scenario (`after_ms`, then the `identified` event).
    func proxyIdentified(gatewaySessionID: String) {
        guard let identify = proxy?.identify else { return }
        proxy?.identify = nil
        let gateway = GatewaySession(
            id: gatewaySessionID, botSession: identify.bot, intents: identify.intents, shard: identify.shard, connection: handle)
        state.registry.register(gateway)
        attach(botSession: identify.bot, gatewaySession: gateway)
        server.sessionDidBecomeReady(identify.bot, at: MonotonicClock.now())
        server.observeScenario(.connection(.identified), session: identify.bot, target: .connection(handle, identify.bot))
    }

    /// One upstream message for the bot: heartbeat ACKs are withheld while the session's ACKs are
    /// stopped; RESUMED attaches the connection to the resumed session; a dispatch is the scenario's
    /// `dispatched` event (its rules act after the dispatch is queued).
    func forwardFromUpstream(_ json: UnsafeRawBufferPointer, header: GatewayFrameHeader) {
        guard context != nil, !closing else { return }
        switch header.op {
        case GatewayOpcode.heartbeatACK.rawValue?:
            if botSession?.stopsHeartbeatAcks == true { return }
        case GatewayOpcode.dispatch.rawValue?:
            if let seq = header.seq { proxy?.lastSeq = seq }
            if header.event == "RESUMED", let resume = proxy?.resume {
                proxy?.resume = nil
                let gateway = state.registry.gatewaySession(id: resume.gatewaySessionID) ?? {
                    let created = GatewaySession(id: resume.gatewaySessionID, botSession: resume.bot, intents: [], shard: nil, connection: handle)
                    state.registry.register(created)
                    return created
                }()
                gateway.adopt(handle)
                attach(botSession: resume.bot, gatewaySession: gateway)
                server.observeScenario(.connection(.resumed), session: resume.bot, target: .connection(handle, resume.bot))
            }
        default:
            break
        }
        appendForwarded(json, header: header)
        if let event = header.event, let watcher = dispatchWatcher() { observeDispatched(event, watcher: watcher) }
    }

    /// Writes the forwarded frames of a read burst (and notes the sequence number for the control API).
    /// When the recorder is behind, the upstream is not read until it has caught up.
    func flushForwarded() {
        if let seq = proxy?.lastSeq { gatewaySession?.observe(seq: seq) }
        flushBatch()
        guard let sink = state.trafficSink, sink.isBehind, proxy?.waitingForRecorder == false, let eventLoop = context?.eventLoop else { return }
        proxy?.waitingForRecorder = true
        updateUpstreamReading()
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        Task {
            await sink.waitUntilWritable()
            eventLoop.execute {
                handler.value.proxy?.waitingForRecorder = false
                handler.value.updateUpstreamReading()
            }
        }
    }

    /// Reads the upstream only while the bot can take more and the recorder keeps up.
    func updateUpstreamReading() {
        guard let proxy else { return }
        proxy.connection?.setReading(!proxy.waitingForRecorder && context?.channel.isWritable != false)
    }

    /// The upstream side ended: the bot's side ends the same way.
    func upstreamEnded(_ ending: UpstreamEnding) {
        guard proxy?.ended == false else { return }
        proxy?.ended = true
        switch ending {
        case .closed(let code, let reason):
            let closeCode = GatewayCloseCode(rawValue: code ?? GatewayCloseCode.normal.rawValue)
            close(code: closeCode, reason: reason, endsSession: false)
        case .dropped:
            drop()
        case .failed(let reason):
            close(code: .unknownError, reason: reason, endsSession: false)
        }
    }

    /// The bot's side closes (a fault, the bot's own close frame, shutdown): the upstream closes with
    /// the same code, which keeps the upstream session resumable unless it is 1000 or 1001.
    func closeUpstream(code: UInt16?, reason: String) {
        guard proxy?.ended == false else { return }
        proxy?.ended = true
        proxy?.connection?.close(code: code, reason: reason)
    }

    /// The bot's side was cut (a `drop` fault, or the bot's TCP connection ended): so is the upstream's.
    func dropUpstream() {
        guard proxy?.ended == false else { return }
        proxy?.ended = true
        proxy?.connection?.drop()
    }

    /// Reads the bot only while the upstream can take more.
    func setBotReading(_ reading: Bool) {
        context?.channel.setOption(ChannelOptions.autoRead, value: reading).whenFailure { _ in }
    }
}
