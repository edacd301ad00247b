import GatewayModel
import GatewayServer
import GatewayTestClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Testing

/// SPEC §6: a host application's own NIO server hands upgraded connections to the gateway.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct EmbeddingTests {
    @Test func aHostServersUpgradedConnectionSpeaksTheGateway() async throws {
        let gateway = GatewayServer(configuration: .init(heartbeatInterval: 5_000))
        let session = try gateway.createSession(name: "embedded")
        let host = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, request in
                        channel.eventLoop.makeCompletedFuture { try gateway.acceptUpgradedConnection(channel, request: request) }
                    })
                return channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { host.close(promise: nil) }
        let port = try #require(host.localAddress?.port)

        let client = try await GatewayTestClient.connect(port: port, query: "v=10&encoding=json&compress=zlib-stream")
        #expect(try await client.next()["d"]?["heartbeat_interval"] == 5_000)
        try await client.send(op: 2, ["token": .string(session.token), "intents": 513, "properties": [:]])
        #expect(try await client.nextDispatch("READY")["s"] == 1)
        #expect(gateway.dispatchToSession(session.id, event: "CHANNEL_CREATE", data: ["id": "7", "type": 0, "guild_id": "1099511627776000000"]) == 1)
        #expect(try await client.nextDispatch("CHANNEL_CREATE")["d"]?["id"] == "7")
        #expect(gateway.connectionCount == 1)
        #expect(gateway.disconnectSession(session.id, closeCode: 4000) == 1)
        #expect(try await client.ending() == .closed(code: 4000, reason: "Unknown error."))
    }
}
