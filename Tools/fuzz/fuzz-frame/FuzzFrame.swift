import FuzzDriver
import GatewayModel
import GatewayServer
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket

/// The client-frame handler: one message as a gateway connection receives it from the WebSocket
/// layer, given to the server's own connection handler on an `EmbeddedChannel` (no sockets), with a
/// recording sink so redaction and recording run too. The answer must be what the protocol documents:
/// 4002 for a message over 4,096 bytes or one that is not a JSON object with an integer `op`, 4001 for
/// an opcode a client may not send, otherwise only the close codes of the protocol and frames that
/// are JSON objects with an `op`.
///
/// The first byte of an input chooses how the rest (the message) is sent: bit 0 identifies first (so
/// the message meets an authenticated connection), bit 1 sends it as a binary frame, bit 2 in two
/// fragments, bit 3 on a `compress=zlib-stream` connection.
@main
enum FuzzFrame {
    static func main() { fuzzMain(fuzzOne) }
}

/// Close codes the server sends in answer to a client message (PROTOCOL: gateway close codes).
private let documentedCloses: Set<UInt16> = [4001, 4002, 4003, 4004, 4005, 4007, 4008, 4010, 4011, 4012, 4013, 4014]

private struct DiscardingSink: RecordingSink {
    func record(_ event: RecordEvent) { _ = event }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: count)
    guard let mode = input.first else { return 0 }
    let message = Array(input.dropFirst())
    let (identifies, binary, fragmented, compressed) = (mode & 1 != 0, mode & 2 != 0, mode & 4 != 0, mode & 8 != 0)

    let server = GatewayServer(configuration: .init(recordingSink: DiscardingSink()))
    let channel = EmbeddedChannel()
    defer {
        // Deleting a session frees it (the leak checker sees what it would not).
        for session in server.sessions() { _ = server.deleteSession(session.id) }
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
    do {
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        let uri = "/?v=10&encoding=json" + (compressed ? "&compress=zlib-stream" : "")
        try server.acceptUpgradedConnection(channel, request: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri))
    } catch {
        fatalError("the connection handler could not be added: \(error)")
    }
    _ = sentFrames(channel)  // HELLO
    if identifies {
        send(#"{"op":2,"d":{"token":"fuzz-token","intents":513,"properties":{"os":"linux","browser":"fuzz","device":"fuzz"}}}"#.utf8, over: channel)
        _ = sentFrames(channel)  // READY, GUILD_CREATE
    }
    if fragmented, message.count > 1 {
        let half = message.count / 2
        send(message[..<half], over: channel, opcode: binary ? .binary : .text, fin: false)
        send(message[half...], over: channel, opcode: .continuation)
    } else {
        send(message, over: channel, opcode: binary ? .binary : .text)
    }
    let answer = sentFrames(channel)
    let close = answer.first { $0.opcode == 0x8 && $0.payload.count >= 2 }.map { frame in UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) }

    if let close { precondition(documentedCloses.contains(close), "close code \(close) is not one the protocol documents") }
    let parsed = try? JSONValue(parsing: message)
    if message.count > 4096 {
        precondition(close == 4002, "a message over 4096 bytes was answered with \(close.map(String.init) ?? "no close")")
    } else if case .object = parsed, case .int(let op)? = parsed?["op"] {
        let opcode = GatewayOpcode(rawValue: Int(truncatingIfNeeded: op))
        if !GatewayOpcode.clientOpcodes.contains(opcode) {
            precondition(close == 4001, "op \(op) was answered with \(close.map(String.init) ?? "no close"), not 4001")
        }
    } else {
        precondition(close == 4002, "a message that is not a JSON object with an integer op got \(close.map(String.init) ?? "no close")")
    }
    if !compressed {
        for frame in answer where frame.opcode == 0x1 {
            let json = try? JSONValue(parsing: frame.payload)
            precondition(json?["op"]?.int64Value != nil, "the server sent a frame that is not a JSON object with an op")
        }
    }
    return 0
}

/// Hands the handler one masked frame, as NIO's frame decoder would, and runs what it scheduled at once.
private func send(_ bytes: some Sequence<UInt8>, over channel: EmbeddedChannel, opcode: WebSocketOpcode = .text, fin: Bool = true) {
    let key: WebSocketMaskingKey = [0x1f, 0x2e, 0x3d, 0x4c]
    var buffer = ByteBuffer(bytes: Array(bytes))
    buffer.webSocketMask(key)
    try? channel.writeInbound(WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: buffer))
    channel.embeddedEventLoop.run()
}

/// The frames the server wrote since the last call (server frames are unmasked).
private func sentFrames(_ channel: EmbeddedChannel) -> [(opcode: UInt8, payload: [UInt8])] {
    var frames: [(opcode: UInt8, payload: [UInt8])] = []
    while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
        var bytes = buffer
        while bytes.readableBytes >= 2, let first = bytes.readInteger(as: UInt8.self), let second = bytes.readInteger(as: UInt8.self) {
            var length = Int(second & 0x7f)
            if length == 126 { length = Int(bytes.readInteger(as: UInt16.self) ?? 0) }
            if length == 127 { length = Int(bytes.readInteger(as: UInt64.self) ?? 0) }
            guard let payload = bytes.readBytes(length: length) else { fatalError("the server wrote a truncated frame") }
            frames.append((first & 0x0f, payload))
        }
    }
    return frames
}
