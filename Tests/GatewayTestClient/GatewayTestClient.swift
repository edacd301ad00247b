import GatewayCompression
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
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
    private let inbox: Mailbox
    /// The opcode of each raw data frame received (text or binary), in order.
    public let frameOpcodes: NIOLockedValueBox<[WebSocketOpcode]>

    private init(channel: any Channel, inbox: Mailbox, opcodes: NIOLockedValueBox<[WebSocketOpcode]>) {
        self.channel = channel
        self.inbox = inbox
        self.frameOpcodes = opcodes
    }

    /// Connects to `ws://host:port/path?query` (`wss://` with a client TLS context).
    public static func connect(
        host: String = "127.0.0.1", port: Int, path: String = "/", query: String = "v=10&encoding=json",
        tls: NIOSSLContext? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> GatewayTestClient {
        let compression = query.split(separator: "&").compactMap { pair -> TransportCompression? in
            let kv = pair.split(separator: "=", maxSplits: 1)
            return kv.count == 2 && kv[0] == "compress" ? TransportCompression(rawValue: String(kv[1])) : nil
        }.first
        let mailbox = Mailbox()
        let opcodes = NIOLockedValueBox<[WebSocketOpcode]>([])
        let channel = try await connectRaw(host: host, port: port, path: path, query: query, tls: tls, group: group) {
            let decompressor = try compression.map { try MessageDecompressor($0) }
            return InboundHandler(mailbox: mailbox, decompressor: decompressor, opcodes: opcodes)
        }
        return GatewayTestClient(channel: channel, inbox: mailbox, opcodes: opcodes)
    }

    /// Upgrades a connection to `ws://host:port/path?query` and installs `makeHandler()`'s handler, which
    /// receives raw `WebSocketFrame`s (benchmarks use their own lean handlers). Returns once upgraded.
    public static func connectRaw(
        host: String = "127.0.0.1", port: Int, path: String = "/", query: String, tls: NIOSSLContext? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        makeHandler: @escaping @Sendable () throws -> any ChannelHandler
    ) async throws -> any Channel {
        let upgraded = group.any().makePromise(of: Void.self)
        let uri = query.isEmpty ? path : path + "?" + query
        let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: "dGhlIHNhbXBsZSBub25jZQ==", maxFrameSize: 1 << 24, automaticErrorHandling: false,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(try makeHandler())
                            upgraded.succeed()
                        }
                    })
                try channel.pipeline.syncOperations.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes,
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                try channel.pipeline.syncOperations.addHandler(RequestSender(host: host, port: port, uri: uri))
            }
        }
        let channel = try await bootstrap.connect(host: host, port: port).get()
        try await upgraded.futureResult.get()
        return channel
    }

    /// The next message: text JSON bytes, or how the connection ended. Throws after `timeout`.
    public func nextMessage(timeout: Duration = .seconds(5)) async throws -> Message {
        guard let message = await inbox.next(timeout: timeout) else { throw TestClientError.timeout }
        return message
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
/// Received messages waiting for the test, with at most one waiting reader.
final class Mailbox: Sendable {
    private struct State {
        var messages: [GatewayTestClient.Message] = []
        var waiter: CheckedContinuation<GatewayTestClient.Message?, Never>?
        var waiterID = 0
    }
    private let state = NIOLockedValueBox(State())

    func put(_ message: GatewayTestClient.Message) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<GatewayTestClient.Message?, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.messages.append(message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    func next(timeout: Duration) async -> GatewayTestClient.Message? {
        await withCheckedContinuation { continuation in
            let (ready, id) = state.withLockedValue { state -> (GatewayTestClient.Message?, Int) in
                if !state.messages.isEmpty { return (state.messages.removeFirst(), 0) }
                state.waiter = continuation
                state.waiterID += 1
                return (nil, state.waiterID)
            }
            if let ready { return continuation.resume(returning: ready) }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = state.withLockedValue { state -> CheckedContinuation<GatewayTestClient.Message?, Never>? in
                    guard state.waiterID == id, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.resume(returning: nil)
            }
        }
    }
}

private final class InboundHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let mailbox: Mailbox
    let decompressor: MessageDecompressor?
    let opcodes: NIOLockedValueBox<[WebSocketOpcode]>
    var buffer: ByteBuffer?
    var ended = false

    init(mailbox: Mailbox, decompressor: MessageDecompressor?, opcodes: NIOLockedValueBox<[WebSocketOpcode]>) {
        self.mailbox = mailbox
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
                            mailbox.put(.text(Array(decoded)))
                        }
                    }
                } catch {
                    mailbox.put(.text(Array("decompression failed: \(error)".utf8)))
                }
            } else {
                mailbox.put(.text(bytes))
            }
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self)
            let reason = data.readString(length: data.readableBytes) ?? ""
            ended = true
            mailbox.put(.end(.closed(code: code, reason: reason)))
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
            mailbox.put(.end(.dropped))
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

    /// Reads until the connection ends: the messages before the end, parsed as JSON, and the ending.
    public func drain(timeout: Duration = .seconds(5)) async throws -> (frames: [JSONValue], ending: Ending) {
        var frames: [JSONValue] = []
        while true {
            switch try await nextMessage(timeout: timeout) {
            case .text(let bytes): frames.append(try JSONValue(parsing: bytes))
            case .end(let ending): return (frames, ending)
            }
        }
    }

    /// Sends a gateway payload `{"op":op,"d":d}`.
    public func send(op: Int, _ d: JSONValue) async throws {
        try await send(JSONValue.object(["op": .int(Int64(op)), "d": d]).jsonString)
    }
}
