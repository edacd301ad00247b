import GatewayModel
import GatewayServer
import GatewayTestClient
import Testing

/// SPEC §3: open, IDENTIFY, heartbeats, timeouts, RESUME and client closes, over real sockets.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct GatewayLifecycleTests {
    @Test func helloArrivesAtOnceWithTheConfiguredInterval() async throws {
        let server = try await TestServer.start(.init(heartbeatInterval: 12_345))
        let client = try await server.connect()
        let hello = try await client.next()
        #expect(hello == ["op": 10, "d": ["heartbeat_interval": 12_345], "s": nil, "t": nil])
    }

    @Test func identifyGetsReadyThenOneGuildCreatePerGuild() async throws {
        let server = try await TestServer.start()
        let (client, ready) = try await server.identify()
        #expect(ready["op"] == 0)
        #expect(ready["s"] == 1)
        let d = try #require(ready["d"])
        #expect(d["v"] == 10)
        #expect(d["user"]?["id"] == "1000000000000000001")
        #expect(d["user"]?["bot"] == true)
        #expect(d["application"] == ["id": "1000000000000000001", "flags": 0])
        #expect(d["session_id"]?.stringValue?.count == 32)
        #expect(d["resume_gateway_url"] == .string("ws://127.0.0.1:\(server.port)"))
        #expect(d["shard"] == nil)
        let guilds = try #require(d["guilds"]?.arrayValue)
        #expect(guilds.count == 2)
        #expect(guilds.allSatisfy { $0["unavailable"] == true })
        for (index, guild) in guilds.enumerated() {
            let create = try await client.next()
            #expect(create["t"] == "GUILD_CREATE")
            #expect(create["s"] == .int(Int64(index + 2)))
            #expect(create["d"]?["id"] == guild["id"])
            #expect(create["d"]?["unavailable"] == false)
            let members = try #require(create["d"]?["members"]?.arrayValue)
            #expect(members.count >= 20)
            #expect(create["d"]?["member_count"] == .int(Int64(members.count)))
            let roles = try #require(create["d"]?["roles"]?.arrayValue)
            #expect(roles.allSatisfy { $0["colors"]?["primary_color"] != nil })
        }
    }

    @Test func everyServerFrameHasOpDSAndT() async throws {
        let server = try await TestServer.start()
        let (client, ready) = try await server.identify()
        try await client.send(op: 1, 1)
        var frames = [ready]
        for _ in 0..<3 { frames.append(try await client.next()) }
        for frame in frames {
            let object = try #require(frame.objectValue)
            #expect(Set(object.keys) == ["op", "d", "s", "t"])
            if frame["op"] != 0 { #expect(frame["s"] == .null && frame["t"] == .null) }
        }
    }

    @Test func heartbeatIsAcknowledgedAlsoBeforeIdentify() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(op: 1, nil)
        #expect(try await client.next() == ["op": 11, "d": nil, "s": nil, "t": nil])
    }

    @Test func stoppedAcksMakeAZombieUntilCleared() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession(name: "zombie")
        let (client, _) = try await server.identify(token: session.token)
        let guild = try await client.nextDispatch("GUILD_CREATE")["d"]?["id"] ?? .null
        _ = try await client.nextDispatch("GUILD_CREATE")
        server.server.setStopHeartbeatAcks(session.id, stop: true)
        #expect(server.server.controlFlags(for: session.id) == ControlFlags(stopHeartbeatAcks: true))
        try await client.send(op: 1, 3)
        // The server answers a connection's frames in order: the answer to a later command comes
        // first only if the heartbeat got no ACK (no fixed wait for an ACK that must not come).
        try await client.send(op: 8, ["guild_id": guild, "query": "", "limit": 1, "nonce": "after-heartbeat"])
        let next = try await client.next()
        #expect(next["op"] == 0 && next["t"] == "GUILD_MEMBERS_CHUNK" && next["d"]?["nonce"] == "after-heartbeat", "\(next)")
        server.server.clearControlFlags(session.id)
        #expect(server.server.controlFlags(for: session.id) == nil)
        try await client.send(op: 1, 3)
        #expect(try await client.next()["op"] == 11)
    }

    @Test func missingHeartbeatsCloseWith4009AndTheSessionCannotResume() async throws {
        let server = try await TestServer.start(.init(heartbeatInterval: 2_000))
        let (client, ready) = try await server.identify()
        // The deadline is 1.5 × the interval after the last heartbeat. The clock is read before the
        // send: on a loaded machine `send` can return long after the server has the heartbeat.
        let heartbeatAt = ContinuousClock.now
        try await client.send(op: 1, 3)
        #expect(try await client.ending(timeout: .seconds(8)) == .closed(code: 4009, reason: "Session timed out."))
        let waited = ContinuousClock.now - heartbeatAt
        #expect(waited >= .milliseconds(2_900) && waited < .milliseconds(6_000), "closed \(waited) after the last heartbeat")
        let again = try await server.connect()
        _ = try await again.next()
        try await again.send(op: 6, ["token": "test-token", "session_id": ready["d"]!["session_id"]!, "seq": 1])
        #expect(try await again.next() == ["op": 9, "d": false, "s": nil, "t": nil])
    }

    @Test func resumeReplaysExactlyTheMissedDispatchesThenResumed() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, ready) = try await server.identify(token: session.token)
        _ = try await client.nextDispatch("GUILD_CREATE")
        _ = try await client.nextDispatch("GUILD_CREATE")  // s = 3
        #expect(server.server.dispatchToSession(session.id, event: "TYPING_START", data: ["channel_id": "1", "user_id": "2"]) == 1)
        let seen = try await client.nextDispatch("TYPING_START")
        #expect(seen["s"] == 4)
        try await client.close(code: 4000)
        _ = try await client.ending()
        try await waitUntil { server.server.connectionCount == 0 }
        // Dispatched while no connection is open: kept for RESUME.
        #expect(server.server.dispatchToSession(session.id, event: "TYPING_START", data: ["channel_id": "1", "user_id": "5"]) == 0)
        #expect(server.server.dispatchToSession(session.id, event: "TYPING_START", data: ["channel_id": "1", "user_id": "6"]) == 0)

        let resumed = try await server.connect(path: "/resume")
        _ = try await resumed.next()
        try await resumed.send(op: 6, ["token": .string(session.token), "session_id": ready["d"]!["session_id"]!, "seq": 4])
        let first = try await resumed.next()
        let second = try await resumed.next()
        let done = try await resumed.next()
        #expect(first["s"] == 5 && first["d"]?["user_id"] == "5")
        #expect(second["s"] == 6 && second["d"]?["user_id"] == "6")
        #expect(done["t"] == "RESUMED" && done["s"] == 7)
        #expect(server.server.dispatchToSession(session.id, event: "TYPING_START", data: ["channel_id": "1", "user_id": "7"]) == 1)
        #expect(try await resumed.next()["s"] == 8)
    }

    @Test func aHeartbeatsSeqReleasesTheResumeBufferUpToIt() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, ready) = try await server.identify(token: session.token)
        _ = try await client.nextDispatch("GUILD_CREATE")
        _ = try await client.nextDispatch("GUILD_CREATE")  // s = 3
        for user in ["4", "5"] { server.server.dispatchToSession(session.id, event: "TYPING_START", data: ["channel_id": "1", "user_id": .string(user)]) }
        _ = try await client.nextDispatch("TYPING_START")
        _ = try await client.nextDispatch("TYPING_START")  // s = 5
        // The client says it has everything up to 4: only 5 is still kept for a RESUME.
        try await client.send(op: 1, 4)
        #expect(try await client.next()["op"] == 11)
        try await client.close(code: 4000)
        _ = try await client.ending()
        try await waitUntil { server.server.connectionCount == 0 }
        let older = try await server.connect()
        _ = try await older.next()
        try await older.send(op: 6, ["token": .string(session.token), "session_id": ready["d"]!["session_id"]!, "seq": 3])
        #expect(try await older.next() == ["op": 9, "d": false, "s": nil, "t": nil])
        let resumed = try await server.connect()
        _ = try await resumed.next()
        try await resumed.send(op: 6, ["token": .string(session.token), "session_id": ready["d"]!["session_id"]!, "seq": 4])
        let replayed = try await resumed.next()
        #expect(replayed["s"] == 5 && replayed["d"]?["user_id"] == "5")
        #expect(try await resumed.next()["t"] == "RESUMED")
    }

    @Test(arguments: [UInt16(1000), 1001])
    func clientCloseWithNormalCodesEndsTheSession(code: UInt16) async throws {
        let server = try await TestServer.start()
        let (client, ready) = try await server.identify()
        try await client.close(code: code)
        #expect(try await client.ending() == .closed(code: code, reason: ""))
        let again = try await server.connect()
        _ = try await again.next()
        try await again.send(op: 6, ["token": "test-token", "session_id": ready["d"]!["session_id"]!, "seq": 1])
        #expect(try await again.next()["op"] == 9)
    }

    @Test func droppedTCPKeepsTheSessionResumable() async throws {
        let server = try await TestServer.start()
        let (client, ready) = try await server.identify()
        try await client.drop()
        try await waitUntil { server.server.connectionCount == 0 }
        let again = try await server.connect()
        _ = try await again.next()
        try await again.send(op: 6, ["token": "test-token", "session_id": ready["d"]!["session_id"]!, "seq": 1])
        let replayed = try await again.next()
        #expect(replayed["t"] == "GUILD_CREATE" && replayed["s"] == 2)
        #expect(try await again.nextDispatch("RESUMED")["s"] == 4)
    }

    @Test func resumeWithASeqAheadOfTheServerCloses4007ThenIsRefused() async throws {
        let server = try await TestServer.start()
        let (client, ready) = try await server.identify()
        try await client.close(code: 4000)
        _ = try await client.ending()
        let sessionID = ready["d"]!["session_id"]!
        let again = try await server.connect()
        _ = try await again.next()
        try await again.send(op: 6, ["token": "test-token", "session_id": sessionID, "seq": 99])
        #expect(try await again.ending() == .closed(code: 4007, reason: "Invalid seq."))
        let third = try await server.connect()
        _ = try await third.next()
        try await third.send(op: 6, ["token": "test-token", "session_id": sessionID, "seq": 1])
        #expect(try await third.next()["op"] == 9)
    }

    @Test func resumeOfAnUnknownSessionIsInvalidSession() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(op: 6, ["token": "x", "session_id": "nope", "seq": 1])
        #expect(try await client.next() == ["op": 9, "d": false, "s": nil, "t": nil])
    }
}

/// Polls until `condition` holds (at most 3 s).
func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<300 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within 3 s")
}
