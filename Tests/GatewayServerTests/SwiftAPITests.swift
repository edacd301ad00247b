import GatewayModel
import GatewayServer
import GatewayTestClient
import Testing

/// SPEC §6: each Swift API operation against live connections.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct SwiftAPITests {
    @Test func connectionCountFollowsOpenConnections() async throws {
        let server = try await TestServer.start()
        #expect(server.server.connectionCount == 0)
        let a = try await server.connect()
        _ = try await a.next()
        let b = try await server.connect()
        _ = try await b.next()
        #expect(server.server.connectionCount == 2)
        try await a.close(code: 1000)
        _ = try await a.ending()
        try await waitUntil { server.server.connectionCount == 1 }
    }

    @Test func disconnectSessionClosesWithTheCodeAndKeepsItResumable() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, ready) = try await server.identify(token: session.token)
        #expect(server.server.disconnectSession(session.id, closeCode: 4000, reason: "test") == 1)
        #expect(try await client.ending() == .closed(code: 4000, reason: "test"))
        let again = try await server.connect()
        _ = try await again.next()
        try await again.send(op: 6, ["token": .string(session.token), "session_id": ready["d"]!["session_id"]!, "seq": 3])
        #expect(try await again.next()["t"] == "RESUMED")
    }

    @Test func disconnectWithAFatalCodeEndsTheSession() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, ready) = try await server.identify(token: session.token)
        #expect(server.server.disconnectSession(session.id, closeCode: 4004) == 1)
        #expect(try await client.ending() == .closed(code: 4004, reason: "Authentication failed."))
        let again = try await server.connect()
        _ = try await again.next()
        try await again.send(op: 6, ["token": .string(session.token), "session_id": ready["d"]!["session_id"]!, "seq": 3])
        #expect(try await again.next()["op"] == 9)
    }

    @Test func invalidateSessionRefusesTheNextResume() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, ready) = try await server.identify(token: session.token)
        #expect(server.server.invalidateSession(session.id))
        #expect(!server.server.invalidateSession("unknown"))
        // The open connection keeps working until it goes away.
        #expect(server.server.dispatchToSession(session.id, event: "TYPING_START", data: ["channel_id": "1"]) == 1)
        server.server.disconnectSession(session.id, closeCode: 4000)
        _ = try await client.ending()
        let again = try await server.connect()
        _ = try await again.next()
        try await again.send(op: 6, ["token": .string(session.token), "session_id": ready["d"]!["session_id"]!, "seq": 3])
        #expect(try await again.next() == ["op": 9, "d": false, "s": nil, "t": nil])
        // A fresh IDENTIFY works and gets a new gateway session.
        try await again.send(op: 2, ["token": .string(session.token), "intents": 1, "properties": [:]])
        let fresh = try await again.nextDispatch("READY")
        #expect(fresh["d"]?["session_id"] != ready["d"]?["session_id"] && fresh["s"] == 1)
    }

    @Test func reconnectInvalidSessionAndHeartbeatRequestSendTheirOpcodes() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, _) = try await server.identify(token: session.token, intents: 0)
        #expect(server.server.sendReconnect(session.id) == 1)
        #expect(try await client.next() == ["op": 7, "d": nil, "s": nil, "t": nil])
        #expect(server.server.sendInvalidSession(session.id, resumable: true) == 1)
        #expect(try await client.next() == ["op": 9, "d": true, "s": nil, "t": nil])
        #expect(server.server.requestHeartbeat(session.id) == 1)
        #expect(try await client.next() == ["op": 1, "d": nil, "s": nil, "t": nil])
        #expect(server.server.sendReconnect("unknown") == 0)
    }

    @Test func dropCutsTCPWithNoCloseFrame() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, _) = try await server.identify(token: session.token, intents: 0)
        #expect(server.server.dropConnections(session.id) == 1)
        #expect(try await client.ending() == .dropped)
    }

    @Test func heartbeatIntervalAppliesToNewConnections() async throws {
        let server = try await TestServer.start()
        #expect(server.server.heartbeatInterval == 41_250)
        server.server.heartbeatInterval = 5_000
        #expect(server.server.heartbeatInterval == 5_000)
        let client = try await server.connect()
        #expect(try await client.next()["d"]?["heartbeat_interval"] == 5_000)
    }

    @Test func sessionsCanBeCreatedListedAndDeleted() async throws {
        let server = try await TestServer.start()
        let created = try server.server.createSession(name: "mine", token: "Bot.token.given")
        #expect(throws: GatewayServerError.tokenInUse) { try server.server.createSession(token: "Bot.token.given") }
        let made = try server.server.createSession()
        let parts = made.token.split(separator: ".")
        #expect(parts.count == 3 && parts[1].count == 6 && parts[2].count >= 27)
        var head = String(parts[0])
        while head.count % 4 != 0 { head += "=" }
        #expect(Data(base64Encoded: head).map { String(decoding: $0, as: UTF8.self) } == "1000000000000000001")
        let (client, _) = try await server.identify(token: created.token, intents: 0)
        let listed = try #require(server.server.sessions().first { $0.id == created.id })
        #expect(listed.name == "mine" && listed.connections == 1)
        #expect(server.server.deleteSession(created.id))
        #expect(try await client.ending() == .closed(code: 1000, reason: "Session deleted"))
        #expect(!server.server.hasSession(created.id))
    }

    @Test func closeSendsGoingAwayToEveryConnection() async throws {
        let server = try await TestServer.start()
        let (client, _) = try await server.identify(intents: 0)
        await server.server.close()
        #expect(try await client.ending() == .closed(code: 1001, reason: "Going away"))
        await server.stop()
    }
}

import Foundation
