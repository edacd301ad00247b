import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Upgrades a keep-alive HTTP connection to the gateway on a later request. NIO's upgrader only looks
/// at a connection's first request, but REST answers keep their connection alive (as Discord's do),
/// and clients that pool connections (aiohttp) send the WebSocket upgrade on a connection that
/// already served REST calls. This handler sits between NIO's HTTP decoder and Hummingbird's HTTP
/// handlers: it passes ordinary requests on, and answers an upgrade request itself — 101, then the
/// HTTP handlers are taken out of the byte path and the WebSocket codec and the gateway handler put in.
/// Hummingbird's side of the connection stays idle until the connection closes.
final class LateUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let makeGatewayHandler: (any Channel, HTTPRequestHead) -> any ChannelHandler
    private let maxFrameSize: Int
    /// The upgrade request being read (its body, if any, is ignored).
    private var pending: HTTPRequestHead?
    private var upgraded = false

    init(maxFrameSize: Int, makeGatewayHandler: @escaping (any Channel, HTTPRequestHead) -> any ChannelHandler) {
        self.maxFrameSize = maxFrameSize
        self.makeGatewayHandler = makeGatewayHandler
    }

    /// Whether a request asks for the gateway: `Upgrade: websocket` on a path outside `/api`.
    static func isGatewayUpgrade(_ head: HTTPRequestHead) -> Bool {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        guard path != "/api", !path.hasPrefix("/api/") else { return false }
        return head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
            && !head.headers["Sec-WebSocket-Key"].isEmpty
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !upgraded else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head) where pending == nil && Self.isGatewayUpgrade(head):
            pending = head
        case .end where pending != nil:
            let head = pending!
            pending = nil
            upgrade(context: context, head: head)
        case .body where pending != nil:
            break
        default:
            context.fireChannelRead(data)
        }
    }

    private func upgrade(context: ChannelHandlerContext, head: HTTPRequestHead) {
        upgraded = true
        let key = head.headers["Sec-WebSocket-Key"].first ?? ""
        let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        var headers = HTTPHeaders()
        headers.add(name: "Upgrade", value: "websocket")
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Sec-WebSocket-Accept", value: Data(digest).base64EncodedString())
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .switchingProtocols, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        do {
            let operations = context.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            operations.removeHandler(context: try operations.context(handlerType: HTTPResponseEncoder.self), promise: nil)
            operations.removeHandler(context: try operations.context(handlerType: MalformedRequestHandler.self), promise: nil)
            // Each added right before this handler, so they end up in this order between NIO's HTTP decoder
            // (bytes it already read go on to the frame decoder) and Hummingbird's handlers.
            for handler in [WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)),
                makeGatewayHandler(context.channel, head)] as [any ChannelHandler]
            {
                try operations.addHandler(handler, position: .before(self))
            }
            operations.removeHandler(decoder, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }
}
