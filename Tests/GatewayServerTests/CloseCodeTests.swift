import GatewayModel
import GatewayServer
import GatewayTestClient
import NIOCore
import NIOWebSocket
import Testing

/// SPEC §3: each error close code with the input that provokes it.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct CloseCodeTests {
    /// Connects, reads HELLO, sends `payload` (text), and returns how the connection ended.
    private func ending(after payloads: [String], query: String = "v=10&encoding=json", configuration: GatewayServerConfiguration = .init()) async throws -> GatewayTestClient.Ending {
        let server = try await TestServer.start(configuration)
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

    /// An IDENTIFY-shaped payload of `size` bytes with a token (what a recording must never get).
    private static func oversized(_ size: Int) -> ByteBuffer {
        let prefix = #"{"op":2,"d":{"token":"oversized-secret","pad":""#
        return ByteBuffer(string: prefix + String(repeating: "x", count: size - prefix.utf8.count - 3) + #""}}"#)
    }

    /// Sends `frames` after HELLO on a recorded server; returns how the connection ended and the
    /// inbound frames the server recorded.
    private func endingRecorded(_ frames: [WebSocketFrame]) async throws -> (GatewayTestClient.Ending, [FrameRecord]) {
        let sink = MemorySink()
        let server = try await TestServer.start(.init(recordingSink: sink))
        let client = try await server.connect()
        _ = try await client.next()
        for frame in frames { try? await client.send(frame: frame) }
        let ending = try await client.ending()
        let inbound = sink.events.compactMap { event -> FrameRecord? in
            guard case .frame(let frame) = event, frame.direction == .inbound else { return nil }
            return frame
        }
        return (ending, inbound)
    }

    /// A frame over 4096 bytes (just over, or the 1 MiB the WebSocket layer used to accept) closes
    /// with 4002 before it is copied, parsed or recorded: the recording holds no inbound frame.
    @Test(arguments: [4_097, 64 << 10, 1 << 20])
    func oversizedFrameClosesBeforeItIsRecorded(size: Int) async throws {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: Self.oversized(size))
        let (ending, inbound) = try await endingRecorded([frame])
        #expect(ending == .closed(code: 4002, reason: "Decode error: payload over 4096 bytes."))
        #expect(inbound.isEmpty, "recorded: \(inbound.map(\.payload.readableBytes))")
    }

    /// Fragments are refused as soon as they add up to more than 4096 bytes.
    @Test func oversizedFragmentedMessageClosesBeforeItIsRecorded() async throws {
        var payload = Self.oversized(6_000)
        let first = payload.readSlice(length: 3_000)!
        let (ending, inbound) = try await endingRecorded([
            WebSocketFrame(fin: false, opcode: .text, maskKey: .random(), data: first),
            WebSocketFrame(fin: true, opcode: .continuation, maskKey: .random(), data: payload),
        ])
        #expect(ending == .closed(code: 4002, reason: "Decode error: payload over 4096 bytes."))
        #expect(inbound.isEmpty)
    }

    /// Frames RFC 6455 forbids a client (found by Tools/fuzz/netfuzz.py: each used to be answered,
    /// or a reserved opcode ignored so that the client waited forever).
    @Test(arguments: ["unmasked", "rsv1", "rsv3", "reserved opcode 3", "reserved opcode 11"])
    func forbiddenFramingCloses4002(_ shape: String) async throws {
        let heartbeat = ByteBuffer(string: #"{"op":1,"d":null}"#)
        var frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: heartbeat)
        switch shape {
        case "unmasked": frame.maskKey = nil
        case "rsv1": frame.rsv1 = true
        case "rsv3": frame.rsv3 = true
        case "reserved opcode 3": frame.opcode = WebSocketOpcode(encodedWebSocketOpcode: 3)!
        default: frame.opcode = WebSocketOpcode(encodedWebSocketOpcode: 11)!
        }
        let server = try await TestServer.start()
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(frame: frame)
        #expect(try await client.ending() == .closed(code: 4002, reason: "Decode error."))
    }

    /// Text frames must be UTF-8 and `op` an integer (not a string or a fraction; `1.0` is the integer 1).
    @Test(arguments: [
        Array(#"{"op":1,"d":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
        Array(#"{"op":"1","d":null}"#.utf8), Array(#"{"op":1.5,"d":null}"#.utf8),
    ])
    func invalidTextOrOpCloses4002(_ payload: [UInt8]) async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(frame: WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(bytes: payload)))
        #expect(try await client.ending() == .closed(code: 4002, reason: "Decode error."))
    }

    @Test func payloadOfExactly4096BytesIsAccepted() async throws {
        let server = try await TestServer.start()
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
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(members)
        #expect(try await client.nextDispatch("READY")["s"] == 1)
    }

    @Test func binaryClientFramesAreAccepted() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        _ = try await client.next()
        try await client.send(identify, binary: true)
        #expect(try await client.nextDispatch("READY")["s"] == 1)
    }

    @Test func allDocumentedIntentsAreAccepted() async throws {
        let server = try await TestServer.start()
        let (_, ready) = try await server.identify(intents: allIntents)
        #expect(ready["t"] == "READY")
    }
}
