import GatewayModel
import GatewayServer
import GatewayTestClient
import Testing

/// SPEC §3: each error close code with the input that provokes it.
@Suite(.timeLimit(.minutes(1)))
struct CloseCodeTests {
    /// Connects, reads HELLO, sends `payload` (text), and returns how the connection ended.
    private func ending(after payloads: [String], query: String = "v=10&encoding=json", configuration: GatewayServerConfiguration = .init()) async throws -> GatewayTestClient.Ending {
        let server = try await TestServer.start(configuration)
        defer { Task { await server.stop() } }
        let client = try await server.connect(query: query)
        _ = try await client.next()
        for payload in payloads { try await client.send(payload) }
        return try await client.ending()
    }

    private let identify = #"{"op":2,"d":{"token":"t","intents":513,"properties":{"os":"linux","browser":"x","device":"x"}}}"#

    @Test func unknownOpcodeCloses4001() async throws {
        #expect(try await ending(after: [#"{"op":42,"d":null}"#]) == .closed(code: 4001, reason: "Unknown opcode."))
    }

    @Test(arguments: [#"{"op":1,"#, "not json", "[1,2]", #"{"d":null}"#])
    func badJSONCloses4002(payload: String) async throws {
        #expect(try await ending(after: [payload]) == .closed(code: 4002, reason: "Decode error."))
    }

    @Test func payloadOver4096BytesCloses4002() async throws {
        let big = #"{"op":3,"d":{"status":""# + String(repeating: "x", count: 4_100) + #""}}"#
        guard case .closed(let code, _) = try await ending(after: [big]) else { Issue.record("not closed"); return }
        #expect(code == 4002)
    }

    @Test func payloadOfExactly4096BytesIsAccepted() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let client = try await server.connect()
        _ = try await client.next()
        let prefix = #"{"op":1,"d":null,"pad":""#
        let payload = prefix + String(repeating: "x", count: 4_096 - prefix.utf8.count - 2) + #""}"#
        #expect(payload.utf8.count == 4_096)
        try await client.send(payload)
        #expect(try await client.next()["op"] == 11)
    }

    @Test func commandsBeforeIdentifyClose4003() async throws {
        #expect(try await ending(after: [#"{"op":3,"d":{"status":"online"}}"#]) == .closed(code: 4003, reason: "Not authenticated."))
    }

    @Test func unknownTokenWithStrictTokensCloses4004() async throws {
        #expect(try await ending(after: [identify], configuration: .init(strictTokens: true)) == .closed(code: 4004, reason: "Authentication failed."))
    }

    @Test func secondIdentifyCloses4005() async throws {
        #expect(try await ending(after: [identify, identify]) == .closed(code: 4005, reason: "Already authenticated."))
    }

    @Test func moreThan120CommandsIn60SecondsCloses4008() async throws {
        let heartbeats = Array(repeating: #"{"op":1,"d":null}"#, count: 121)
        #expect(try await ending(after: heartbeats) == .closed(code: 4008, reason: "Rate limited."))
    }

    @Test func noRateLimitAllowsMoreCommands() async throws {
        let server = try await TestServer.start(.init(rateLimit: false))
        defer { Task { await server.stop() } }
        let client = try await server.connect()
        _ = try await client.next()
        for _ in 0..<150 { try await client.send(#"{"op":1,"d":null}"#) }
        for _ in 0..<150 { #expect(try await client.next()["op"] == 11) }
    }

    @Test(arguments: ["[2,2]", "[-1,2]", "[0,0]", "[0]", #""0,1""#, "[0,1,2]"])
    func badShardCloses4010(shard: String) async throws {
        let payload = #"{"op":2,"d":{"token":"t","intents":1,"properties":{},"shard":\#(shard)}}"#
        #expect(try await ending(after: [payload]) == .closed(code: 4010, reason: "Invalid shard."))
    }

    @Test(arguments: ["v=8", "v=11&encoding=json", "v=abc"])
    func unsupportedVersionCloses4012(query: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let client = try await server.connect(query: query)
        #expect(try await client.ending() == .closed(code: 4012, reason: "Invalid API version."))
    }

    @Test(arguments: [#""513""#, "1.5", "null", "\(1 << 17)", "\(1 << 30)", "-1"])
    func invalidIntentsClose4013(intents: String) async throws {
        let payload = #"{"op":2,"d":{"token":"t","intents":\#(intents),"properties":{}}}"#
        #expect(try await ending(after: [payload]) == .closed(code: 4013, reason: "Invalid intent(s)."))
    }

    @Test func unapprovedPrivilegedIntentsClose4014() async throws {
        let fixture = try Fixture(json: ["guilds": [["id": "1099511627776000000"]], "approved_intents": ["GUILD_MEMBERS"]])
        let members = #"{"op":2,"d":{"token":"t","intents":3,"properties":{}}}"#
        let content = #"{"op":2,"d":{"token":"t","intents":32769,"properties":{}}}"#
        #expect(try await ending(after: [content], configuration: .init(fixture: fixture)) == .closed(code: 4014, reason: "Disallowed intent(s)."))
        let server = try await TestServer.start(.init(fixture: fixture))
        defer { Task { await server.stop() } }
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(members)
        #expect(try await client.nextDispatch("READY")["s"] == 1)
    }

    @Test func binaryClientFramesAreAccepted() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(identify, binary: true)
        #expect(try await client.nextDispatch("READY")["s"] == 1)
    }

    @Test func allDocumentedIntentsAreAccepted() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let (_, ready) = try await server.identify(intents: allIntents)
        #expect(ready["t"] == "READY")
    }
}
