import GatewayModel
import GatewayWorld
import GatewayScenario
import NIOCore

/// Sending events and faults to a session's connections.
extension GatewayServer {
    /// Dispatches an event to every gateway session of a session that should get it: intent
    /// filtering (MESSAGE_CONTENT strips `content`, `embeds`, `attachments`, `components`), shard
    /// routing by `(guild_id >> 22) % shard_count` (DMs to shard 0). Resumable sessions without a
    /// connection keep the event for RESUME.
    /// - Parameters:
    ///   - sessionID: the session.
    ///   - event: the dispatch name, e.g. `MESSAGE_CREATE`.
    ///   - data: the event's `d`.
    ///   - guildID: the guild for routing; read from `data.guild_id` when `nil`.
    /// - Returns: how many open connections it was sent to (0 in proxy mode: the upstream owns sequence numbers).
    @discardableResult
    public func dispatchToSession(_ sessionID: String, event: String, data: JSONValue, guildID: String? = nil) -> Int {
        dispatchToSession(sessionID, event: event, payload: DispatchPayload(data), guildID: guildID)
    }

    /// Dispatches pre-encoded JSON (`payload.bytes` is sent as is); see `dispatchToSession(_:event:data:guildID:)`.
    /// Give `guildID` for guild events so routing needs no parsing.
    @discardableResult
    public func dispatchToSession(_ sessionID: String, event: String, payload: DispatchPayload, guildID: String? = nil) -> Int {
        if let guild = guildID.flatMap({ UInt64($0) }) {
            return dispatchToSession(sessionID, event: event, payload: payload, guild: guild, asControl: true)
        }
        // Parsed once, here, for the guild and for intent filtering.
        let parsed = DispatchPayload(bytes: payload.bytes, value: payload.parsed())
        return dispatchToSession(sessionID, event: event, payload: parsed, guild: parsed.value?["guild_id"]?.snowflake, asControl: true)
    }

    /// Dispatches like `dispatchToSession(_:event:payload:guildID:)` to a guild already known (`nil`:
    /// not a guild event); `asControl: false` records only the frames sent, no `dispatch` control row
    /// (the replay engine: its events are the recording's, not control actions). `cause` is the REST
    /// call an event follows from (the world already holds its change); other events change the world.
    @discardableResult
    package func dispatchToSession(
        _ sessionID: String, event: String, payload: DispatchPayload, guild: UInt64?, asControl: Bool, cause: Int64? = nil
    ) -> Int {
        guard !isProxy, let session = state.registry.session(id: sessionID) else { return 0 }
        if cause == nil, World.observes(event) {
            // Kept as the bytes being sent (parsed if the world is used): a parsed value takes several
            // times the memory, and a bot that never calls REST leaves its events unapplied.
            session.world.observe(event: event, bytes: payload.bytes)
        }
        var parsed = payload.value
        var didParse = parsed != nil
        func value() -> JSONValue? {
            if !didParse { parsed = payload.parsed(); didParse = true }
            return parsed
        }
        let required = GatewayIntents.required(forEvent: event, inGuild: guild != nil)
        let isMessage = event == "MESSAGE_CREATE" || event == "MESSAGE_UPDATE"
        var stripped: ByteBuffer?
        var delivered = 0
        for gateway in session.gatewaySessions {
            guard gateway.ownsGuild(guild) else { continue }
            if let required, !gateway.intents.contains(required) {
                // GUILD_MEMBER_UPDATE for the bot itself is always sent.
                let isSelf = event == "GUILD_MEMBER_UPDATE" && value()?["user"]?["id"]?.stringValue == session.fixture.botUserID
                if !isSelf { continue }
            }
            var data = payload.bytes
            if isMessage, guild != nil, !gateway.intents.contains(.messageContent), let message = value() {
                if stripped == nil {
                    stripped = ByteBuffer(bytes: Payloads.strippingContent(message, botUserID: session.fixture.botUserID).jsonBytes)
                }
                data = stripped!
            }
            if gateway.deliver(event: event, data: data, cause: cause) { delivered += 1 }
        }
        // Once per dispatch when recording; the recorder turns the fields into JSON text.
        if asControl {
            state.recordControl(sessionID: sessionID, action: "dispatch", arguments: .dispatch(event: event, guildID: guild))
        }
        return delivered
    }

    /// Suspends while any open connection of the session has a full outbox or a socket that is not
    /// writable, so a producer sending as fast as it can (replay at full speed, benchmarks) runs at
    /// the speed of the slowest client instead of queueing without bound.
    public func waitForCapacity(_ sessionID: String) async {
        guard let session = state.registry.session(id: sessionID) else { return }
        for gateway in session.gatewaySessions {
            await gateway.connection?.waitForCapacity()
        }
    }

    /// Closes a session's open connections with a close code.
    /// 4007, 4009 and the fatal codes (4004, 4010–4014) end the gateway session; others leave it resumable.
    /// - Returns: how many connections were closed.
    @discardableResult
    public func disconnectSession(_ sessionID: String, closeCode: UInt16, reason: String? = nil) -> Int {
        perform(.disconnect(code: closeCode, reason: reason), onSession: sessionID) ?? 0
    }

    /// Invalidates a session's gateway sessions: open connections keep working, but the next RESUME
    /// is answered with op 9 `d: false`.
    /// - Returns: whether the session exists.
    @discardableResult
    public func invalidateSession(_ sessionID: String) -> Bool {
        perform(.invalidate, onSession: sessionID) != nil
    }

    /// Stops (or resumes) acknowledging heartbeats: the connection becomes a zombie.
    /// - Returns: whether the session exists.
    @discardableResult
    public func setStopHeartbeatAcks(_ sessionID: String, stop: Bool = true) -> Bool {
        perform(.stopAcks(stop), onSession: sessionID) != nil
    }

    /// The fault flags set on a session, or `nil` when none is (or the session is unknown).
    public func controlFlags(for sessionID: String) -> ControlFlags? {
        state.registry.session(id: sessionID)?.controlFlags
    }

    /// Clears a session's fault flags (heartbeats are acknowledged again).
    /// - Returns: whether the session exists.
    @discardableResult
    public func clearControlFlags(_ sessionID: String) -> Bool {
        guard let session = state.registry.session(id: sessionID) else { return false }
        state.recordControl(sessionID: sessionID, action: "stop_acks", args: ["stop": false, "cleared": true])
        session.clearControlFlags()
        return true
    }

    /// Sends op 7 RECONNECT to the session's open connections. Returns how many got it.
    @discardableResult
    public func sendReconnect(_ sessionID: String) -> Int {
        perform(.reconnect, onSession: sessionID) ?? 0
    }

    /// Sends op 9 INVALID_SESSION. With `resumable: false` the gateway sessions are invalidated too.
    @discardableResult
    public func sendInvalidSession(_ sessionID: String, resumable: Bool) -> Int {
        perform(.invalidSession(resumable: resumable), onSession: sessionID) ?? 0
    }

    /// Sends op 1 HEARTBEAT: the client must heartbeat at once. Returns how many got it.
    @discardableResult
    public func requestHeartbeat(_ sessionID: String) -> Int {
        perform(.heartbeatRequest, onSession: sessionID) ?? 0
    }

    /// Cuts the session's TCP connections with no close frame (the client sees 1006); the gateway
    /// sessions stay resumable. Returns how many were cut.
    @discardableResult
    public func dropConnections(_ sessionID: String) -> Int {
        perform(.drop, onSession: sessionID) ?? 0
    }

    /// Performs a control action on every connection of a session; `nil` when the session is unknown.
    func perform(_ action: ControlAction, onSession sessionID: String) -> Int? {
        guard let session = state.registry.session(id: sessionID) else { return nil }
        return perform(action, on: .session(session))
    }
}
