import GatewayCompression
import GatewayModel
import GatewayServer
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The upstream half of one proxied gateway connection: a WebSocket client (TLS-verified for `wss`)
/// on the bot connection's event loop, so frames pass from one socket to the other with no thread hop.
///
/// Upstream messages are decompressed (the proxy asks the upstream for zlib-stream), READY's
/// `resume_gateway_url` is rewritten to the proxy, and each message goes to the relay, which writes it
/// to the bot with the bot's own compression. Closes and TCP drops are mirrored both ways; reading
/// stops on one side while the other cannot take more (backpressure, no unbounded buffer).
final class UpstreamGatewayConnection: ChannelInboundHandler, GatewayUpstreamConnection {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How long a close frame waits for the upstream's answer before the socket is closed.
    static let closeTimeout: TimeAmount = .seconds(2)
    /// Bot messages kept while the upstream connection opens (a bot sends nothing before HELLO; this
    /// only bounds one that does).
    static let maxWaiting = 64

    private let relay: GatewayRelay
    private let logger: Logger
    /// Called with a READY's session id and upstream `resume_gateway_url`.
    private let onReady: (String, String) -> Void
    private var target: UpstreamURL?
    private var channel: (any Channel)?
    private var context: ChannelHandlerContext?
    private var waiting: [ByteBuffer] = []
    private var decompressor: MessageDecompressor?
    private var fragments: ByteBuffer?
    private var fragmentsBinary = false
    /// The bot's side ended this connection (a close or a drop was asked for).
    private var finished = false
    /// The upstream's close frame arrived.
    private var closeReceived = false
    /// Connecting has succeeded or failed.
    private var settled = false
    /// The first error seen while connecting (a TLS failure says more than the upgrade's failure).
    private var connectError: (any Error)?

    init(relay: GatewayRelay, logger: Logger, onReady: @escaping (String, String) -> Void) {
        self.relay = relay
        self.logger = logger
        self.onReady = onReady
    }

    // MARK: Connecting

    /// Connects to `url` with `query` (the proxy's own: json, zlib-stream).
    func start(url: UpstreamURL, query: String, tls: NIOSSLContext?) {
        guard !finished else { return }
        target = url
        do {
            decompressor = try MessageDecompressor(.zlibStream)
        } catch {
            return fail("zlib unavailable: \(error)")
        }
        let this = NIOLoopBound(self, eventLoop: relay.eventLoop)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: (url.path.isEmpty ? "/" : url.path) + "?" + query, headers: headers)
        let bootstrap = ClientBootstrap(group: relay.eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: url.hostIsIPAddress ? nil : url.host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(ConnectErrorCatcher { error in this.value.noteConnectError(error) })
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(
                        maxFrameSize: 1 << 24, enableAutomaticErrorHandling: false,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(this.value)
                                return true
                            }
                        })
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(false) })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // HELLO may arrive in the same read as the 101: keep those bytes for the frame decoder.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                        .whenComplete { this.value.settle($0) }
                }
            }
        bootstrap.connect(host: url.host, port: url.port).whenComplete { result in
            switch result {
            case .success(let channel):
                this.value.channel = channel
                channel.closeFuture.whenComplete { _ in this.value.settle(.failure(ChannelError.ioOnClosedChannel)) }
            case .failure(let error):
                this.value.settle(.failure(error))
            }
        }
    }

    /// The outcome of connecting and upgrading (the first one counts).
    private func settle(_ result: Result<Bool, any Error>) {
        guard !settled, let url = target else { return }
        settled = true
        switch result {
        case .success(true):
            // Only now is the HTTP codec gone: messages the bot sent early can go out as frames.
            if finished { return channel?.close(promise: nil) ?? () }
            let pending = waiting
            waiting = []
            for message in pending { send(message) }
        case .success(false):
            channel?.close(promise: nil)
            fail("upstream \(url) refused the WebSocket upgrade")
        case .failure(let error):
            fail(UpstreamFailure.describe(connectError ?? error, upstream: url))
        }
    }

    /// The upstream could not be used: one stderr line, and the bot's connection closes with 4000.
    func fail(_ reason: String) {
        guard !finished else { return }
        logger.error("gateway: \(reason)")
        finished = true
        relay.upstreamFailed(String(reason.utf8.prefix(123)) ?? "upstream failed")
    }

    private func noteConnectError(_ error: any Error) {
        if connectError == nil { connectError = error }
    }

    // MARK: GatewayUpstreamConnection (the bot's side)

    func send(_ message: ByteBuffer) {
        guard !finished else { return }
        guard let context, settled else {
            if waiting.count < Self.maxWaiting { waiting.append(message) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: message)), promise: nil)
    }

    func close(code: UInt16?, reason: String) {
        guard !finished else { return }
        finished = true
        guard let context else { return channel?.close(promise: nil) ?? () }
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        if let code {
            data.writeInteger(code)
            data.writeString(String(reason.utf8.prefix(123)) ?? "")
        }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)), promise: nil)
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: Self.closeTimeout) { channel.close(promise: nil) }
    }

    func drop() {
        guard !finished else { return }
        finished = true
        channel?.closeWithReset()
    }

    func setReading(_ reading: Bool) {
        channel?.setOption(ChannelOptions.autoRead, value: reading).whenFailure { _ in }
    }

    // MARK: ChannelInboundHandler (the upstream's side)

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                receiveMessage(frame.unmaskedData, binary: frame.opcode == .binary)
            } else {
                fragments = frame.unmaskedData
                fragmentsBinary = frame.opcode == .binary
            }
        case .continuation:
            guard var buffer = fragments else { return }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            fragments = frame.fin ? nil : buffer
            if frame.fin { receiveMessage(buffer, binary: fragmentsBinary) }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            receiveClose(frame, context: context)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        relay.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        relay.upstreamWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !closeReceived, !finished {
            finished = true
            relay.upstreamDropped()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("gateway: upstream connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func receiveClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard !closeReceived else { return }
        closeReceived = true
        if finished {
            // The answer to our own close frame.
            context.close(promise: nil)
            return
        }
        finished = true
        var data = frame.unmaskedData
        let code = data.readInteger(as: UInt16.self)
        let reason = data.readString(length: data.readableBytes) ?? ""
        var echo = context.channel.allocator.buffer(capacity: 2)
        if let code { echo.writeInteger(code) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)))
            .whenComplete { _ in channel.close(promise: nil) }
        relay.upstreamClosed(code: code, reason: reason)
    }

    /// One upstream message: decompressed (binary frames of zlib-stream), READY rewritten, then relayed.
    private func receiveMessage(_ message: ByteBuffer, binary: Bool) {
        guard binary, let decompressor else {
            return message.withUnsafeReadableBytes { deliver($0) }
        }
        do {
            try message.withUnsafeReadableBytes { raw in
                _ = try decompressor.decompress(raw) { json in deliver(json) }
            }
        } catch {
            channel?.close(promise: nil)
            fail("upstream \(target?.description ?? "gateway") sent data that does not decompress: \(error)")
        }
    }

    private func deliver(_ json: UnsafeRawBufferPointer) {
        let header = GatewayFrameHeader(scanning: json)
        guard header.op == GatewayOpcode.dispatch.rawValue, header.event == "READY" else {
            return relay.receive(json, header: header)
        }
        // READY: note where the session resumes upstream, and hand the bot a resume URL of the proxy's.
        let ready = try? JSONValue(parsing: json)
        guard let sessionID = ready?["d"]?["session_id"]?.stringValue else { return relay.receive(json, header: header) }
        relay.upstreamIdentified(gatewaySessionID: sessionID)
        if let resumeURL = ready?["d"]?["resume_gateway_url"]?.stringValue,
            let rewritten = JSONText.replacingStringValue(
                of: "resume_gateway_url", in: json, with: relay.gatewayURL + ProxyUpstream.resumePathPrefix + sessionID)
        {
            onReady(sessionID, resumeURL)
            return rewritten.withUnsafeBytes { relay.receive($0, header: header) }
        }
        relay.receive(json, header: header)
    }
}

/// Notes the first error of a connection that is still being set up (TLS, upgrade) and passes it on.
private final class ConnectErrorCatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let note: (any Error) -> Void

    init(note: @escaping (any Error) -> Void) { self.note = note }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        note(error)
        context.fireErrorCaught(error)
    }
}
