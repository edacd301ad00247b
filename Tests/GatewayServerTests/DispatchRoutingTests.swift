import GatewayCompression
import GatewayModel
import GatewayServer
import GatewayTestClient
import NIOConcurrencyHelpers
import NIOWebSocket
import Testing

/// SPEC §3: transport compression, intent filtering, content stripping, shard routing, op 8 and op 4.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct DispatchRoutingTests {
    static let guildA = "1099511627776000000"  // shard 0 of 2
    static let guildB = "1099511627780194304"  // shard 1 of 2
    static let channelA = "1100000000000000101"

    static func message(content: String = "hello", guildID: String? = guildA, mentionsBot: Bool = false) -> JSONValue {
        var message: JSONValue = [
            "id": "1300000000000000001", "channel_id": .string(channelA), "content": .string(content),
            "author": ["id": "1200000000000000002", "username": "bob", "discriminator": "0", "avatar": nil],
            "mentions": mentionsBot ? [["id": "1000000000000000001", "username": "mockbot"]] : [],
            "embeds": [["title": "x"]], "attachments": [], "components": [], "type": 0, "timestamp": "2024-01-01T00:00:01.000000+00:00",
        ]
        if let guildID { message["guild_id"] = .string(guildID) }
        return message
    }

    @Test(arguments: ["zlib-stream", "zstd-stream"])
    func transportCompressionSendsBinaryFramesTheClientDecodes(compress: String) async throws {
        let server = try await TestServer.start()
        let (client, ready) = try await server.identify(query: "v=10&encoding=json&compress=\(compress)")
        #expect(ready["d"]?["session_id"] != nil)
        _ = try await client.nextDispatch("GUILD_CREATE")
        _ = try await client.nextDispatch("GUILD_CREATE")
        try await client.send(op: 1, 3)
        #expect(try await client.next()["op"] == 11)
        // HELLO, READY, 2 GUILD_CREATE, ACK: every one a binary frame.
        #expect(client.frameOpcodes.withLockedValue { $0 } == Array(repeating: WebSocketOpcode.binary, count: 5))
    }

    @Test func plainConnectionsGetTextFrames() async throws {
        let server = try await TestServer.start()
        let (client, _) = try await server.identify()
        _ = try await client.nextDispatch("GUILD_CREATE")
        #expect(client.frameOpcodes.withLockedValue { $0 }.allSatisfy { $0 == .text })
    }

    @Test func messagesNeedTheGuildMessagesIntent() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, _) = try await server.identify(token: session.token, intents: 1)  // GUILDS only
        #expect(server.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: Self.message()) == 0)
        #expect(server.server.dispatchToSession(session.id, event: "CHANNEL_CREATE", data: ["id": "5", "guild_id": .string(Self.guildA), "type": 0]) == 1)
        _ = try await client.nextDispatch("GUILD_CREATE")
        _ = try await client.nextDispatch("GUILD_CREATE")
        #expect(try await client.next()["t"] == "CHANNEL_CREATE")
        // Events no intent covers always arrive.
        #expect(server.server.dispatchToSession(session.id, event: "INTERACTION_CREATE", data: ["id": "9", "type": 1]) == 1)
    }

    @Test func contentIsStrippedWithoutMessageContentUnlessMentionedOrDM() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let intents = Int64(GatewayIntents([.guilds, .guildMessages, .directMessages]).rawValue)
        let (client, _) = try await server.identify(token: session.token, intents: intents)
        _ = try await client.nextDispatch("GUILD_CREATE")
        _ = try await client.nextDispatch("GUILD_CREATE")
        server.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: Self.message(content: "secret"))
        let stripped = try await client.nextDispatch("MESSAGE_CREATE")["d"]
        #expect(stripped?["content"] == "" && stripped?["embeds"] == [] && stripped?["author"]?["id"] == "1200000000000000002")
        server.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: Self.message(content: "hey bot", mentionsBot: true))
        #expect(try await client.nextDispatch("MESSAGE_CREATE")["d"]?["content"] == "hey bot")
        server.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: Self.message(content: "dm", guildID: nil))
        #expect(try await client.nextDispatch("MESSAGE_CREATE")["d"]?["content"] == "dm")
    }

    @Test func withMessageContentNothingIsStripped() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, _) = try await server.identify(token: session.token)
        server.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: Self.message(content: "visible"))
        #expect(try await client.nextDispatch("MESSAGE_CREATE")["d"]?["content"] == "visible")
    }

    @Test func twoShardsGetTheirOwnGuildsAndEvents() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (shard0, ready0) = try await server.identify(token: session.token, shard: [0, 2])
        let (shard1, ready1) = try await server.identify(token: session.token, shard: [1, 2])
        #expect(ready0["d"]?["shard"] == [0, 2] && ready1["d"]?["shard"] == [1, 2])
        #expect(ready0["d"]?["guilds"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [Self.guildA])
        #expect(ready1["d"]?["guilds"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [Self.guildB])
        #expect(try await shard0.nextDispatch("GUILD_CREATE")["d"]?["id"] == .string(Self.guildA))
        #expect(try await shard1.nextDispatch("GUILD_CREATE")["d"]?["id"] == .string(Self.guildB))

        #expect(server.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: Self.message(guildID: Self.guildB)) == 1)
        #expect(try await shard1.nextDispatch("MESSAGE_CREATE")["d"]?["guild_id"] == .string(Self.guildB))
        #expect(server.server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: Self.message(content: "dm", guildID: nil)) == 1)
        #expect(try await shard0.nextDispatch("MESSAGE_CREATE")["d"]?["content"] == "dm")
        // guild_id given separately routes too.
        #expect(server.server.dispatchToSession(session.id, event: "TYPING_START", data: ["channel_id": "1"], guildID: Self.guildA) == 1)
        #expect(try await shard0.nextDispatch("TYPING_START")["t"] == "TYPING_START")
        // Shard 1 got nothing but its own events.
        try await shard1.send(op: 1, 3)
        #expect(try await shard1.next()["op"] == 11)
    }

    @Test func requestGuildMembersAnswersChunksWithTheNonce() async throws {
        let server = try await TestServer.start()
        let (client, _) = try await server.identify()
        try await client.send(op: 8, ["guild_id": .int(1_099_511_627_776_000_000), "query": "", "limit": 0, "nonce": "abc123"])
        let chunk = try await client.nextDispatch("GUILD_MEMBERS_CHUNK")["d"]
        #expect(chunk?["nonce"] == "abc123" && chunk?["chunk_index"] == 0 && chunk?["chunk_count"] == 1)
        #expect(chunk?["guild_id"] == .string(Self.guildA))
        #expect((chunk?["members"]?.arrayValue?.count ?? 0) >= 20)

        try await client.send(op: 8, ["guild_id": .string(Self.guildA), "query": "al", "limit": 10, "nonce": .string(String(repeating: "n", count: 33))])
        let filtered = try await client.nextDispatch("GUILD_MEMBERS_CHUNK")["d"]
        #expect(filtered?["members"]?.arrayValue?.compactMap { $0["user"]?["username"]?.stringValue } == ["alice"])
        #expect(filtered?["nonce"] == nil)

        try await client.send(op: 8, ["guild_id": .string(Self.guildA), "user_ids": ["1200000000000000002", "42"], "nonce": "ids"])
        let byID = try await client.nextDispatch("GUILD_MEMBERS_CHUNK")["d"]
        #expect(byID?["members"]?.arrayValue?.count == 1 && byID?["not_found"] == ["42"] && byID?["nonce"] == "ids")
    }

    @Test func voiceStateUpdateAnswersStateAndServerOnJoin() async throws {
        let server = try await TestServer.start()
        let (client, _) = try await server.identify()
        try await client.send(op: 3, ["since": nil, "activities": [], "status": "idle", "afk": false])
        try await client.send(op: 4, ["guild_id": .string(Self.guildA), "channel_id": "1100000000000000103", "self_mute": false, "self_deaf": true])
        let state = try await client.nextDispatch("VOICE_STATE_UPDATE")["d"]
        #expect(state?["channel_id"] == "1100000000000000103" && state?["user_id"] == "1000000000000000001" && state?["self_deaf"] == true)
        let voiceServer = try await client.nextDispatch("VOICE_SERVER_UPDATE")["d"]
        #expect(voiceServer?["guild_id"] == .string(Self.guildA) && voiceServer?["token"]?.stringValue != nil)
        try await client.send(op: 4, ["guild_id": .string(Self.guildA), "channel_id": nil, "self_mute": false, "self_deaf": false])
        #expect(try await client.nextDispatch("VOICE_STATE_UPDATE")["d"]?["channel_id"] == .null)
    }

    @Test func withoutPresencesGuildCreateHoldsOnlyTheBot() async throws {
        let server = try await TestServer.start()
        let intents = Int64(GatewayIntents([.guilds, .guildMembers]).rawValue)
        let (client, _) = try await server.identify(intents: intents)
        let guild = try await client.nextDispatch("GUILD_CREATE")["d"]
        #expect(guild?["members"]?.arrayValue?.compactMap { $0["user"]?["id"]?.stringValue } == ["1000000000000000001"])
        #expect((guild?["member_count"]?.int64Value ?? 0) >= 20)
    }
}
