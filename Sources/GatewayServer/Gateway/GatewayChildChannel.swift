import GatewayCompression
import GatewayModel
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL
import NIOWebSocket

/// The server's child channel: HTTP/1.1 for REST and control (Hummingbird's router), and for any
/// non-`/api` path an upgrade to a raw-frame gateway connection (SwiftNIO's WebSocket codec and our
/// own handler, so close codes, pings and TCP drops stay visible and controllable).
struct GatewayChildChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case gateway(any Channel)
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let server: GatewayServer

    init(responder: @escaping HTTPChannelHandler.Responder, server: GatewayServer) {
        self.server = server
        self.responder = responder
    }


    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let server = self.server
        return channel.eventLoop.makeCompletedFuture {
            // Reads start small and grow with what a connection sends (gateway clients send heartbeats
            // of a few dozen bytes; NIO's default starts at 2 KiB a read): measured by `gateway-bench idle`.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
            if let tls = server.state.configuration.tlsContext {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
            }
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                // A client frame bigger than a whole payload may be is refused from its header (4002).
                maxFrameSize: GatewayConnectionHandler.maxPayloadSize,
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
                    let isAPI = path == "/api" || path.hasPrefix("/api/")
                    return channel.eventLoop.makeSucceededFuture(isAPI ? nil : HTTPHeaders())
                },
                upgradePipelineHandler: { channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = Self.makeConnectionHandler(server: server, channel: channel, head: head)
                        // The HTTP handlers leave (NIO removes its own); the frames are the gateway handler's now.
                        let operations = channel.pipeline.syncOperations
                        operations.removeHandler(context: try operations.context(handlerType: MalformedRequestHandler.self), promise: nil)
                        try operations.addHandler(handler)
                        return UpgradeResult.gateway(channel)
                    }
                }
            )
            let serverUpgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let lateUpgrade = LateUpgradeHandler(maxFrameSize: GatewayConnectionHandler.maxPayloadSize) { channel, head in
                            Self.makeConnectionHandler(server: server, channel: channel, head: head)
                        }
                        try channel.pipeline.syncOperations.addHandler(lateUpgrade)
                        if !server.isProxy {
                            try channel.pipeline.syncOperations.addHandler(
                                RESTChannelHandler(routes: RESTRoutes(server: server), eventLoop: channel.eventLoop))
                        }
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: server.state.isSecure))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return .notUpgraded(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: serverUpgrade)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let operations = channel.pipeline.syncOperations
            let result = try operations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            try operations.addHandler(
                MalformedRequestHandler(), position: .after(try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)))
            return Value(upgradeResult: result, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .gateway(let channel):
                try? await channel.closeFuture.get()
            case .notUpgraded(let http):
                await withTaskExecutorPreference(EventLoopExecutor(value.channel.eventLoop)) {
                    await handleHTTP(asyncChannel: http, logger: logger)
                }
            }
        } catch {
            logger.debug("connection setup failed", metadata: ["error": "\(error)"])
        }
    }

    /// Builds the gateway handler for an upgraded connection from the request's URL.
    static func makeConnectionHandler(server: GatewayServer, channel: any Channel, head: HTTPRequestHead) -> GatewayConnectionHandler {
        let state = server.state
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let query = parts.count > 1 ? String(parts[1]) : ""
        let parameters = GatewayQuery(query)
        var refusal: GatewayCloseCode?
        var compressor: MessageCompressor?
        if state.isShuttingDown {
            refusal = .goingAway
        } else if let version = parameters.version, version != "10", version != "9" {
            refusal = .invalidAPIVersion
        } else if let encoding = parameters.encoding, encoding != "json" {
            refusal = .decodeError
        } else if let compression = parameters.compress.flatMap(TransportCompression.init(rawValue:)) {
            do { compressor = try MessageCompressor(compression) } catch { refusal = .unknownError }
        }
        let handle = ConnectionHandle(
            id: state.registry.nextConnectionID(), eventLoop: channel.eventLoop, query: query,
            compression: compressor?.compression.rawValue)
        return GatewayConnectionHandler(
            server: server, handle: handle, gatewayURL: state.gatewayURL(authority: head.headers["Host"].first), path: String(parts.first ?? "/"),
            compressor: compressor, refusal: refusal)
    }
}

/// The gateway URL's query parameters.
struct GatewayQuery {
    var version: String?
    var encoding: String?
    var compress: String?

    init(_ query: String) {
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let value = kv.count > 1 ? kv[1] : ""
            switch kv[0] {
            case "v": version = value
            case "encoding": encoding = value
            case "compress": compress = value
            default: break
            }
        }
    }
}
