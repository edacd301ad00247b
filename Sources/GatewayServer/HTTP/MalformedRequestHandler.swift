import GatewayModel
import NIOCore
import NIOHTTP1

/// Answers a request NIO's HTTP parser cannot read (a garbage request line, an unknown method, a bad
/// header) with 400 `{error}` and `Connection: close`, then closes the connection; without it the
/// connection would just be dropped. Sits right after NIO's HTTP decoder, which stops reading after
/// such an error. Like NIO's `HTTPServerProtocolErrorHandler` it watches the responses going out, so
/// it never starts an answer inside another one; it leaves the pipeline when the connection becomes
/// a gateway connection.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Whether a response's head went out and its end did not yet.
    private var responding = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        let channel = context.channel
        guard !responding else { return channel.close(promise: nil) }
        let body = ByteBuffer(bytes: JSONValue.object(["error": .string("malformed HTTP request: \(error)")]).jsonBytes)
        let headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("Content-Length", String(body.readableBytes)), ("Connection", "close"),
        ])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head): if head.status.code >= 200 || head.status.code == 101 { responding = true }  // not a 1xx before the answer
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }
}
