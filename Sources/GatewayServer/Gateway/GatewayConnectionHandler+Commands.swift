import GatewayModel
import GatewayScenario
import NIOCore

/// IDENTIFY, RESUME, REQUEST_GUILD_MEMBERS and VOICE_STATE_UPDATE.
extension GatewayConnectionHandler {
    func receiveIdentify(_ data: JSONValue) {
        guard gatewaySession == nil else {
            return close(code: .alreadyAuthenticated, reason: "Already authenticated.", endsSession: false)
        }
        guard case .object = data, let token = data["token"]?.stringValue, !token.isEmpty else {
            return close(code: .authenticationFailed, reason: "Authentication failed.", endsSession: true)
        }
        let configuration = state.configuration
        guard let bot = state.registry.session(forToken: token, autoCreate: !configuration.strictTokens, fixture: configuration.fixture) else {
            return close(code: .authenticationFailed, reason: "Authentication failed.", endsSession: true)
        }
        guard case .int(let rawIntents)? = data["intents"], rawIntents >= 0 else {
            return close(code: .invalidIntents, reason: "Invalid intent(s).", endsSession: true)
        }
        let intents = GatewayIntents(rawValue: UInt64(rawIntents))
        guard GatewayIntents.documented.isSuperset(of: intents) else {
            return close(code: .invalidIntents, reason: "Invalid intent(s).", endsSession: true)
        }
        guard bot.fixture.approvedIntents.isSuperset(of: intents.intersection(.privileged)) else {
            return close(code: .disallowedIntents, reason: "Disallowed intent(s).", endsSession: true)
        }
        var shard: (id: Int, count: Int)?
        if let value = data["shard"], value != .null {
            guard let pair = value.arrayValue, pair.count == 2, case .int(let id) = pair[0], case .int(let count) = pair[1],
                count >= 1, id >= 0, id < count
            else {
                return close(code: .invalidShard, reason: "Invalid shard.", endsSession: true)
            }
            shard = (Int(id), Int(count))
        }
        let largeThreshold = data["large_threshold"]?.int64Value.map { min(max($0, 50), 250) } ?? 50

        let gateway = GatewaySession(
            id: SessionRegistry.randomHex(32), botSession: bot, intents: intents, shard: shard, connection: handle)

        let fixture = bot.fixture
        let guilds = fixture.guilds.filter { gateway.ownsGuild($0["id"]?.snowflake) }
        var ready: JSONValue = [
            "v": 10, "user": fixture.user, "session_id": .string(gateway.id), "resume_gateway_url": .string(gatewayURL),
            "guilds": .array(guilds.map { ["id": $0["id"] ?? .null, "unavailable": true] }),
            "application": ["id": .string(fixture.applicationID), "flags": fixture.application["flags"] ?? 0],
            "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"], "session_type": "normal", "_trace": ["gatewaytape"],
        ]
        if let shard { ready["shard"] = [.int(Int64(shard.id)), .int(Int64(shard.count))] }
        gateway.deliver(event: "READY", data: ByteBuffer(bytes: ready.jsonBytes))
        if intents.contains(.guilds) {
            for guild in guilds {
                let payload = Payloads.guildCreate(guild, botUser: fixture.user, intents: intents, largeThreshold: largeThreshold)
                gateway.deliver(event: "GUILD_CREATE", data: ByteBuffer(bytes: payload.jsonBytes))
            }
        }
        // Only now can dispatches reach the session: READY and its GUILD_CREATEs always come first.
        state.registry.register(gateway)
        attach(botSession: bot, gatewaySession: gateway)
        server.sessionDidBecomeReady(bot, at: MonotonicClock.now())
        server.observeScenario(.connection(.identified), session: bot, target: .connection(handle, bot))
    }

    func receiveResume(_ data: JSONValue) {
        guard gatewaySession == nil else {
            return close(code: .alreadyAuthenticated, reason: "Already authenticated.", endsSession: false)
        }
        guard case .object = data, let token = data["token"]?.stringValue,
            let seq = data["seq"].flatMap({ $0 == .null ? Int64(0) : $0.int64Value })
        else {
            return close(code: .decodeError, reason: "Decode error: RESUME needs token, session_id and seq.", endsSession: false)
        }
        // A null session_id (a client resuming after a close that came before its READY) names no
        // session: op 9, as for an unknown one, and the client identifies.
        guard let sessionID = data["session_id"]?.stringValue, let gateway = state.registry.gatewaySession(id: sessionID),
            gateway.botSession.token == token
        else {
            return sendCommand(.invalidSession, data: "false")
        }
        switch gateway.resume(clientSeq: seq, connection: handle, now: MonotonicClock.now()) {
        case .resumed:
            attach(botSession: gateway.botSession, gatewaySession: gateway)
            server.observeScenario(.connection(.resumed), session: gateway.botSession, target: .connection(handle, gateway.botSession))
        case .invalid:
            sendCommand(.invalidSession, data: "false")
        case .seqAhead:
            close(code: .invalidSeq, reason: "Invalid seq.", endsSession: true)
        }
    }

    func receiveRequestGuildMembers(_ data: JSONValue) {
        guard let gateway = gatewaySession, let bot = botSession, case .object = data else {
            return close(code: .decodeError, reason: "Decode error.", endsSession: false)
        }
        guard let guildID = data["guild_id"]?.snowflake else {
            return close(code: .decodeError, reason: "Decode error: guild_id.", endsSession: false)
        }
        let request = MemberRequest(data)
        guard let guild = bot.fixture.guild(guildID), gateway.ownsGuild(guildID) else {
            // Discord answers a request for a guild the shard does not have with an empty chunk.
            let chunk = request.chunk(guildID: String(guildID), members: [], index: 0, count: 1, notFound: request.userIDs ?? [])
            gateway.deliver(event: "GUILD_MEMBERS_CHUNK", data: ByteBuffer(bytes: chunk.jsonBytes))
            return
        }
        let members = request.select(from: guild["members"]?.arrayValue ?? [])
        let found = Set(members.compactMap { $0["user"]?["id"]?.stringValue })
        let notFound = (request.userIDs ?? []).filter { !found.contains($0) }
        let chunks = stride(from: 0, to: max(members.count, 1), by: 1_000).map { Array(members[$0..<min($0 + 1_000, members.count)]) }
        for (index, chunkMembers) in chunks.enumerated() {
            let chunk = request.chunk(
                guildID: String(guildID), members: chunkMembers, index: index, count: chunks.count,
                notFound: index == 0 ? notFound : [])
            gateway.deliver(event: "GUILD_MEMBERS_CHUNK", data: ByteBuffer(bytes: chunk.jsonBytes))
        }
    }

    func receiveVoiceStateUpdate(_ data: JSONValue) {
        guard let gateway = gatewaySession, let bot = botSession, case .object = data, let guildID = data["guild_id"]?.snowflake
        else {
            return close(code: .decodeError, reason: "Decode error.", endsSession: false)
        }
        let channelID = data["channel_id"] ?? .null
        let userID = JSONValue.string(bot.fixture.botUserID)
        let member = (bot.fixture.guild(guildID)?["members"]?.arrayValue ?? []).first { $0["user"]?["id"] == userID }
        var voiceState: JSONValue = [
            "guild_id": .string(String(guildID)), "channel_id": channelID, "user_id": userID, "session_id": .string(gateway.id),
            "deaf": false, "mute": false, "self_deaf": data["self_deaf"] ?? false, "self_mute": data["self_mute"] ?? false,
            "self_video": false, "suppress": false, "request_to_speak_timestamp": nil,
        ]
        if let member { voiceState["member"] = member }
        gateway.deliver(event: "VOICE_STATE_UPDATE", data: ByteBuffer(bytes: voiceState.jsonBytes))
        guard channelID != .null else { return }
        let server: JSONValue = [
            "token": .string(SessionRegistry.randomHex(16)), "guild_id": .string(String(guildID)),
            "endpoint": .string(gatewayURL.replacingPrefix("wss://", with: "").replacingPrefix("ws://", with: "")),
        ]
        gateway.deliver(event: "VOICE_SERVER_UPDATE", data: ByteBuffer(bytes: server.jsonBytes))
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
