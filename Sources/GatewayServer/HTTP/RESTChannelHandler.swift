import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Synchronization

/// Serves REST (`/api/...` except the control API) straight off the HTTP decoder, on the connection's
/// event loop: the request is collected, answered by `RESTRoutes` and written back here, and every other
/// request goes on to Hummingbird's router (the control API). A REST call is the per-message hot path
/// of a bot, and Hummingbird's per-request machinery (async request and response streams, a router, a
/// response writer that hops through an async writer) cost more than the call's own work
/// (`gateway-bench rest` measures it). Requests on one connection are answered in order: a request
/// that arrives while another is being answered waits in `queued`.
final class RESTChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: RESTRoutes
    private let executor: EventLoopExecutor
    /// The REST request being read.
    private var reading: (head: HTTPRequestHead, body: ByteBuffer?, tooLarge: Bool)?
    /// A REST request is being answered.
    private var answering = false
    /// A request went on to Hummingbird and its answer has not ended yet.
    private var forwarded = false
    /// Parts of requests that arrived while an earlier request was being answered.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    /// The client half-closed while requests were still to be answered: passed on (Hummingbird then
    /// ends the connection) once they are.
    private var inputClosedWaiting = false

    init(routes: RESTRoutes, eventLoop: any EventLoop) {
        self.routes = routes
        self.executor = EventLoopExecutor(eventLoop)
    }

    /// Whether a request is for `RESTRoutes`: under `/api`, not the control API.
    static func isREST(_ uri: String) -> Bool {
        let path = uri.prefix { $0 != "?" }
        return (path == "/api" || path.hasPrefix("/api/")) && path != "/api/control" && !path.hasPrefix("/api/control/")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // A new request waits while an earlier one is answered; the parts after it wait with it.
        if !queued.isEmpty || ((answering || forwarded) && isHead(part)) {
            queued.append(part)
            return
        }
        handle(part, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, answering || reading != nil || !queued.isEmpty {
            inputClosedWaiting = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func isHead(_ part: HTTPServerRequestPart) -> Bool {
        if case .head = part { return true }
        return false
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head) where Self.isREST(head.uri):
            reading = (head, nil, false)
        case .body(var chunk) where reading != nil:
            guard !reading!.tooLarge else { return }
            if (reading!.body?.readableBytes ?? 0) + chunk.readableBytes > RESTRoutes.maxBodySize {
                reading!.tooLarge = true
                reading!.body = nil
            } else if reading!.body == nil {
                reading!.body = chunk
            } else {
                reading!.body!.writeBuffer(&chunk)
            }
        case .end where reading != nil:
            let request = reading!
            reading = nil
            answer(request.head, body: request.body, tooLarge: request.tooLarge, context: context)
        case .head:
            forwarded = true
            context.fireChannelRead(wrapInboundOut(part))
        default:
            context.fireChannelRead(wrapInboundOut(part))
        }
    }

    private func answer(_ head: HTTPRequestHead, body: ByteBuffer?, tooLarge: Bool, context: ChannelHandlerContext) {
        answering = true
        let request = RESTRequest(head, body: body, tooLarge: tooLarge)
        let keepAlive = head.isKeepAlive
        let version = head.version
        let routes = self.routes
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        // On the connection's event loop (`executor`): no thread hop between reading and writing.
        Task(executorPreference: executor) {
            let response = await routes.respond(to: request)
            bound.value.0.write(response, version: version, keepAlive: keepAlive, context: bound.value.1)
        }
    }

    private func write(_ response: RESTResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 3)
        for field in response.headers { headers.add(name: field.name.rawName, value: field.value) }
        // (NIO's encoder drops it from a 204.)
        headers.add(name: "Content-Length", value: String(response.body?.count ?? 0))
        headers.add(name: "Date", value: HTTPDate.now())
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if let body = response.body { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        answering = false
        guard keepAlive else { return context.close(promise: nil) }
        drain(context: context)
    }

    /// Hummingbird's answers pass here; the end of one lets the next request in.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        if case .end = unwrapOutboundIn(data) {
            forwarded = false
            context.eventLoop.assumeIsolated().execute { self.drain(context: context) }
        }
    }

    /// Hands on the requests that waited, up to the next one that must wait again.
    private func drain(context: ChannelHandlerContext) {
        var handed = false
        while !answering, !forwarded || !isHead(queued.first ?? .end(nil)), let part = queued.popFirst() {
            handle(part, context: context)
            handed = true
        }
        // Hummingbird's side takes in what it was handed on a read-complete, as after a socket read.
        if handed { context.fireChannelReadComplete() }
        if inputClosedWaiting, !answering, reading == nil, queued.isEmpty {
            inputClosedWaiting = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
    }
}

/// The `Date` header's text (RFC 9110 IMF-fixdate), made once a second.
enum HTTPDate {
    private static let cache = Mutex((second: 0, text: ""))

    static func now() -> String {
        let second = time(nil)
        return cache.withLock { cache in
            if cache.second != second {
                var moment = second
                var parts = tm()
                gmtime_r(&moment, &parts)
                var buffer = [Int8](repeating: 0, count: 40)
                let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
                cache = (second, String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return cache.text
        }
    }
}
