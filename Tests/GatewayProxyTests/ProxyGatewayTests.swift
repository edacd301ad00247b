import Foundation
import GatewayModel
import GatewayProxy
import GatewayServer
import GatewayTestClient
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Testing

/// A bot's gateway connection through the proxy to a TLS upstream: frames both ways, READY's
/// rewritten resume URL, compression on the bot's side, closes and drops mirrored, faults.
@Suite(.timeLimit(.minutes(2)))
struct ProxyGatewayTests {
    @Test func framesGoBothWaysAndReadyPointsResumesAtTheProxy() async throws {
        try await ProxyHarness.run(heartbeatInterval: 30_000) { harness in
            let (client, ready) = try await harness.identify()
            let sessionID = try #require(ready["d"]?["session_id"]?.stringValue)
            // The upstream made this gateway session; the bot is told to resume through the proxy.
            let upstreamSession = try harness.upstreamSession()
            #expect(harness.upstream.sessionDetails(upstreamSession)?.connections.first?.gatewaySessionID == sessionID)
            #expect(ready["d"]?["resume_gateway_url"]?.stringValue == "ws://127.0.0.1:\(harness.port)/resume/\(sessionID)")

            // A dispatch made upstream reaches the bot with its bytes as the upstream wrote them.
            let message: JSONValue = ["id": "77", "channel_id": "1100000000000000101", "content": "hi", "author": ["id": "5", "username": "u"]]
            #expect(harness.upstream.dispatchToSession(upstreamSession, event: "MESSAGE_CREATE", data: message) == 1)
            var received: [UInt8] = []
            while received.isEmpty {
                guard case .text(let bytes) = try await client.nextMessage() else { throw TestClientError.unexpected("ended") }
                if (try? JSONValue(parsing: bytes))?["t"] == "MESSAGE_CREATE" { received = bytes }
            }
            let sent = try #require(harness.upstreamSink.frames.last { $0.event == "MESSAGE_CREATE" })
            #expect(received == Array(sent.payload.readableBytesView))

            // The bot's heartbeat reaches the upstream and its ACK comes back.
            try await client.send(#"{"op":1,"d":42}"#)
            #expect(try await client.next()["op"] == 11)
            try await harness.upstreamSink.wait { $0.frames.contains { $0.direction == .inbound && $0.op == 1 } }
            let heartbeat = try #require(harness.upstreamSink.frames.last { $0.direction == .inbound && $0.op == 1 })
            #expect(String(buffer: heartbeat.payload) == #"{"op":1,"d":42}"#)

            // Both sides know the session; the proxy shows the upstream's sequence number.
            let proxySession = try harness.proxySession()
            let details = try #require(harness.proxy.server.sessionDetails(proxySession))
            #expect(details.connections.first?.gatewaySessionID == sessionID)
            #expect((details.connections.first?.seq ?? 0) >= 3)
            #expect(harness.proxy.server.dispatchToSession(proxySession, event: "MESSAGE_CREATE", data: message) == 0)
        }
    }

    @Test(arguments: ["zlib-stream", "zstd-stream"])
    func theBotsCompressionIsHonouredWhateverTheUpstreamUses(compression: String) async throws {
        try await ProxyHarness.run { harness in
            let (client, ready) = try await harness.identify(query: "v=10&encoding=json&compress=\(compression)")
            #expect(ready["d"]?["resume_gateway_url"]?.stringValue?.hasPrefix("ws://127.0.0.1:\(harness.port)/resume/") == true)
            let upstreamSession = try harness.upstreamSession()
            for index in 1...20 {
                harness.upstream.dispatchToSession(upstreamSession, event: "TYPING_START", data: ["channel_id": "1", "user_id": .string("\(index)")])
            }
            var seen = 0
            while seen < 20 {
                if try await client.next()["t"] == "TYPING_START" { seen += 1 }
            }
            // Every frame the bot got was binary (compressed by the proxy's own context for this bot).
            #expect(client.frameOpcodes.withLockedValue { $0 }.allSatisfy { $0 == .binary })
            // The upstream connection itself used zlib-stream, whatever the bot asked for.
            #expect(harness.upstream.sessionDetails(upstreamSession)?.connections.first?.compress == "zlib-stream")
        }
    }

    @Test func anUpstreamCloseReachesTheBotAndTheBotResumesUpstream() async throws {
        try await ProxyHarness.run { harness in
            let (client, ready) = try await harness.identify()
            let sessionID = try #require(ready["d"]?["session_id"]?.stringValue)
            let upstreamSession = try harness.upstreamSession()
            let seq = try #require(harness.upstream.sessionDetails(upstreamSession)?.connections.first?.seq)

            #expect(harness.upstream.disconnectSession(upstreamSession, closeCode: 4000) == 1)
            #expect(try await client.ending() == .closed(code: 4000, reason: "Unknown error."))
            // Missed while away: kept upstream for the RESUME.
            harness.upstream.dispatchToSession(upstreamSession, event: "TYPING_START", data: ["channel_id": "1", "user_id": "2"])

            let resumed = try await GatewayTestClient.connect(port: harness.port, path: "/resume/\(sessionID)")
            #expect(try await resumed.next()["op"] == 10)
            try await resumed.send(op: 6, ["token": "proxy-bot", "session_id": .string(sessionID), "seq": .int(seq)])
            let missed = try await resumed.nextDispatch("TYPING_START")
            #expect(missed["s"]?.int64Value == seq + 1)
            _ = try await resumed.nextDispatch("RESUMED")
            try await harness.upstreamSink.wait { $0.frames.contains { $0.direction == .inbound && $0.op == 6 } }
            // The proxy attached the new connection to the same session.
            try await harness.sink.wait { _ in harness.proxy.server.sessionDetails((try? harness.proxySession()) ?? "")?.connections.first?.open == true }

            // The bot's own close goes upstream with its code.
            try await resumed.close(code: 4321)
            try await harness.upstreamSink.wait { $0.closes.contains { $0.code == 4321 && $0.closedBy == .client } }
        }
    }

    @Test func dropsAreMirroredBothWays() async throws {
        try await ProxyHarness.run { harness in
            let (first, _) = try await harness.identify(token: "drop-bot")
            // Upstream cut → the bot is cut.
            #expect(harness.upstream.dropConnections(try harness.upstreamSession()) == 1)
            #expect(try await first.ending() == .dropped)

            // The proxy's `drop` fault → the bot is cut and so is the upstream.
            let (second, _) = try await harness.identify(token: "drop-bot")
            let dropsBefore = harness.upstreamSink.closes.count { $0.closedBy == .drop }
            #expect(harness.proxy.server.dropConnections(try harness.proxySession()) == 1)
            #expect(try await second.ending() == .dropped)
            try await harness.upstreamSink.wait { $0.closes.count { $0.closedBy == .drop } > dropsBefore }
        }
    }

    @Test func faultsActOnTheBotsSide() async throws {
        try await ProxyHarness.run { harness in
            let (client, ready) = try await harness.identify()
            let sessionID = try #require(ready["d"]?["session_id"]?.stringValue)
            let proxySession = try harness.proxySession()

            // stop-acks: the upstream still answers, the proxy withholds the ACK.
            harness.proxy.server.setStopHeartbeatAcks(proxySession, stop: true)
            try await client.send(#"{"op":1,"d":1}"#)
            try await harness.upstreamSink.wait { $0.frames.contains { $0.direction == .outbound && $0.op == 11 } }
            await #expect(throws: TestClientError.self) { try await client.next(timeout: .milliseconds(500)) }
            harness.proxy.server.clearControlFlags(proxySession)
            try await client.send(#"{"op":1,"d":2}"#)
            #expect(try await client.next()["op"] == 11)

            // Commands from the control side reach the bot.
            #expect(harness.proxy.server.requestHeartbeat(proxySession) == 1)
            #expect(try await client.next()["op"] == 1)
            #expect(harness.proxy.server.sendReconnect(proxySession) == 1)
            #expect(try await client.next()["op"] == 7)

            // disconnect 4000: the bot sees 4000; the upstream connection closes with the same code
            // (a client close other than 1000/1001: its session stays resumable).
            #expect(harness.proxy.server.disconnectSession(proxySession, closeCode: 4000) == 1)
            #expect(try await client.ending() == .closed(code: 4000, reason: "Unknown error."))
            try await harness.upstreamSink.wait { $0.closes.contains { $0.code == 4000 && $0.closedBy == .client } }

            // invalidate: the bot's next RESUME gets op 9 d:false from the proxy itself.
            harness.proxy.server.invalidateSession(proxySession)
            let resumer = try await GatewayTestClient.connect(port: harness.port, path: "/resume/\(sessionID)")
            _ = try await resumer.next()
            try await resumer.send(op: 6, ["token": "proxy-bot", "session_id": .string(sessionID), "seq": 1])
            let invalid = try await resumer.next()
            #expect(invalid["op"] == 9 && invalid["d"] == false)
            #expect(!harness.upstreamSink.frames.contains { $0.direction == .inbound && $0.op == 6 })
        }
    }

    @Test func anUnreachableUpstreamClosesTheBotWithACodeItRetries() async throws {
        // A port nobody listens on: bind one, then close it.
        let probe = GatewayServer(configuration: .init(port: 0))
        let probeTask = Task { try await probe.run() }
        let deadPort = try await probe.listeningPort()
        await probe.close()
        _ = try? await probeTask.value

        let proxy = try GatewayProxy(configuration: .init(
            upstream: try UpstreamURL("http://127.0.0.1:\(deadPort)", schemes: ["http"]),
            upstreamGateway: try UpstreamURL("ws://127.0.0.1:\(deadPort)", schemes: ["ws"]), server: .init(port: 0)))
        let task = Task { try await proxy.run() }
        defer { Task { await proxy.close(); _ = try? await task.value } }
        let client = try await GatewayTestClient.connect(port: try await proxy.listeningPort())
        guard case .closed(let code, let reason) = try await client.ending() else { throw TestClientError.unexpected("dropped") }
        #expect(code == 4000)
        #expect(reason.contains("127.0.0.1:\(deadPort)"))
        #expect(GatewayCloseCode(rawValue: code ?? 0).allowsReconnect)
    }
}
