import GatewayCompression
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client for tests and benchmarks that sees everything: every frame (decompressed when
/// the URL asked for transport compression), the close code and reason, and a TCP drop.
///
/// ```swift
/// let client = try await GatewayTestClient.connect(port: port, query: "v=10&encoding=json")
/// let hello = try await client.next()          // parsed JSON
/// try await client.send(#"{"op":1,"d":null}"#)
/// ```
public final class GatewayTestClient: Sendable {
    /// What ended the connection.
    public enum Ending: Sendable, Equatable {
        /// A close frame from the server, with its code and reason.
        case closed(code: UInt16?, reason: String)
        /// The TCP connection ended without a close frame.
        case dropped
    }

    /// One received message.
    public enum Message: Sendable {
        case text([UInt8])
        case end(Ending)
    }

    public let channel: any Channel
    private let inbox: AsyncStream<Message>
    private let iterator: NIOLockedValueBox<AsyncStream<Message>.Iterator>
    /// The opcode of each raw data frame received (text or binary), in order.
    public let frameOpcodes: NIOLockedValueBox<[WebSocketOpcode]>

    private init(channel: any Channel, inbox: AsyncStream<Message>, opcodes: NIOLockedValueBox<[WebSocketOpcode]>) {
        self.channel = channel
        self.inbox = inbox
        self.iterator = NIOLockedValueBox(inbox.makeAsyncIterator())
        self.frameOpcodes = opcodes
    }

    /// Connects to `ws://host:port/path?query`.
    public static func connect(
        host: String = "127.0.0.1", port: Int, path: String = "/", query: String = "v=10&encoding=json",
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> GatewayTestClient {
        let compression = query.split(separator: "&").compactMap { pair -> TransportCompression? in
            let kv = pair.split(separator: "=", maxSplits: 1)
            return kv.count == 2 && kv[0] == "compress" ? TransportCompression(rawValue: String(kv[1])) : nil
        }.first
        let (stream, continuation) = AsyncStream<Message>.makeStream()
        let opcodes = NIOLockedValueBox<[WebSocketOpcode]>([])
        let upgraded = group.any().makePromise(of: Void.self)
        let uri = query.isEmpty ? path : path + "?" + query
        let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let requestKey = "dGhlIHNhbXBsZSBub25jZQ=="
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: requestKey, maxFrameSize: 1 << 24, automaticErrorHandling: false,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let decompressor = try compression.map { try MessageDecompressor($0) }
                            try channel.pipeline.syncOperations.addHandler(
                                InboundHandler(continuation: continuation, decompressor: decompressor, opcodes: opcodes))
                            upgraded.succeed()
                        }
                    })
                let request = RequestSender(host: host, port: port, uri: uri)
                try channel.pipeline.syncOperations.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes,
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                try channel.pipeline.syncOperations.addHandler(request)
            }
        }
        let channel = try await bootstrap.connect(host: host, port: port).get()
        try await upgraded.futureResult.get()
        return GatewayTestClient(channel: channel, inbox: stream, opcodes: opcodes)
    }

    /// The next message: text JSON bytes, or how the connection ended. Throws after `timeout`.
    public func nextMessage(timeout: Duration = .seconds(5)) async throws -> Message {
        let iterator = self.iterator
        return try await withThrowingTaskGroup(of: Message.self) { group in
            group.addTask {
                var it = iterator.withLockedValue { $0 }
                let message = await it.next() ?? .end(.dropped)
                iterator.withLockedValue { $0 = it }
                return message
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestClientError.timeout
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// Sends text (or binary) data as one frame.
    public func send(_ text: String, binary: Bool = false) async throws {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        try await send(frame: WebSocketFrame(fin: true, opcode: binary ? .binary : .text, maskKey: .random(), data: buffer))
    }

    /// Sends a raw frame (masking is the caller's business).
    public func send(frame: WebSocketFrame) async throws {
        try await channel.writeAndFlush(frame)
    }

    /// Sends a close frame with a code.
    public func close(code: UInt16) async throws {
        var buffer = channel.allocator.buffer(capacity: 2)
        buffer.writeInteger(code)
        try await send(frame: WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: buffer))
    }

    /// Cuts the TCP connection with no close frame.
    public func drop() async throws {
        try await channel.close()
    }
}

public enum TestClientError: Error { case timeout, unexpected(String) }

/// Sends the upgrade request once the channel is active.
private final class RequestSender: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String, port: Int, uri: String
    init(host: String, port: Int, uri: String) { self.host = host; self.port = port; self.uri = uri }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }
}

/// Turns frames into messages: reassembles fragments, decompresses, answers pings, reports the end.
private final class InboundHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let continuation: AsyncStream<GatewayTestClient.Message>.Continuation
    let decompressor: MessageDecompressor?
    let opcodes: NIOLockedValueBox<[WebSocketOpcode]>
    var buffer: ByteBuffer?
    var ended = false

    init(continuation: AsyncStream<GatewayTestClient.Message>.Continuation, decompressor: MessageDecompressor?, opcodes: NIOLockedValueBox<[WebSocketOpcode]>) {
        self.continuation = continuation
        self.decompressor = decompressor
        self.opcodes = opcodes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            if frame.opcode != .continuation { opcodes.withLockedValue { $0.append(frame.opcode) } }
            var data = frame.unmaskedData
            if buffer == nil { buffer = data } else { buffer!.writeBuffer(&data) }
            guard frame.fin, let message = buffer else { return }
            buffer = nil
            let bytes = Array(message.readableBytesView)
            if let decompressor {
                do {
                    try bytes.withUnsafeBytes { raw in
                        _ = try decompressor.decompress(raw) { decoded in
                            continuation.yield(.text(Array(decoded)))
                        }
                    }
                } catch {
                    continuation.yield(.text(Array("decompression failed: \(error)".utf8)))
                }
            } else {
                continuation.yield(.text(bytes))
            }
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self)
            let reason = data.readString(length: data.readableBytes) ?? ""
            ended = true
            continuation.yield(.end(.closed(code: code, reason: reason)))
            continuation.finish()
            context.close(promise: nil)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !ended {
            ended = true
            continuation.yield(.end(.dropped))
            continuation.finish()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

import GatewayModel

extension GatewayTestClient {
    /// The next message parsed as JSON; throws if the connection ended instead.
    public func next(timeout: Duration = .seconds(5)) async throws -> JSONValue {
        switch try await nextMessage(timeout: timeout) {
        case .text(let bytes): return try JSONValue(parsing: bytes)
        case .end(let ending): throw TestClientError.unexpected("connection ended: \(ending)")
        }
    }

    /// The next dispatch (op 0) named `event`, skipping other frames.
    public func nextDispatch(_ event: String, timeout: Duration = .seconds(5)) async throws -> JSONValue {
        while true {
            let frame = try await next(timeout: timeout)
            if frame["t"]?.stringValue == event { return frame }
        }
    }

    /// How the connection ends, skipping any messages before that.
    public func ending(timeout: Duration = .seconds(5)) async throws -> Ending {
        while true {
            if case .end(let ending) = try await nextMessage(timeout: timeout) { return ending }
        }
    }

    /// Sends a gateway payload `{"op":op,"d":d}`.
    public func send(op: Int, _ d: JSONValue) async throws {
        try await send(JSONValue.object(["op": .int(Int64(op)), "d": d]).jsonString)
    }
}
