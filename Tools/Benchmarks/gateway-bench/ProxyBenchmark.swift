import Foundation
import GatewayCompression
import GatewayModel
import GatewayProxy
import GatewayScenario
import GatewayServer
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// `proxy`: a fast upstream (a child process replaying a pre-compressed zlib-stream) → the proxy (this
/// process, measured) → one bot (a child process, plain JSON). Dispatches/s at the bot, the proxy's
/// CPU per dispatch, frames lost. With a scenario, every relayed dispatch is checked against it.
enum ProxyBenchmark {
    static func run(count: Int, sink: (any RecordingSink)?, scenario: Scenario?) async throws -> [String: Double] {
        let (upstreamProcess, upstreamOutput) = try await BenchServer.spawnClient(["fast-upstream", "--count", String(count)])
        guard let line = await upstreamOutput.nextLine(), let upstreamPort = Int(line) else { throw BenchError("the upstream did not start") }
        let proxy = try GatewayProxy(configuration: .init(
            upstream: try UpstreamURL("http://127.0.0.1:\(upstreamPort)", schemes: ["http"]),
            upstreamGateway: try UpstreamURL("ws://127.0.0.1:\(upstreamPort)", schemes: ["ws"]),
            server: .init(port: 0, rateLimit: false, recordingSink: sink, scenario: scenario)))
        let task = Task { try await proxy.run() }
        let port = try await proxy.listeningPort()

        let cpu = ThreadCPU()
        let (client, output) = try await BenchServer.spawnClient(["receive", "--port", String(port), "--token", "proxy-bench", "--count", String(count)])
        guard await output.nextLine() == "ready" else { throw BenchError("client did not identify") }
        guard let report = await output.nextLine(), let result = try? JSONValue(parsing: report) else { throw BenchError("client gave no report") }
        let cpuReport = cpu.report(count: count)
        await client.exited()
        await proxy.close()
        _ = try? await task.value
        upstreamProcess.terminate()
        await upstreamProcess.exited()
        let received = result["received"]?.doubleValue ?? 0
        let seconds = result["elapsed_s"]?.doubleValue ?? .infinity
        return cpuReport.merging([
            "dispatches": Double(count),
            "dispatch_json_bytes": Double(FastUpstream.dispatch(seq: 3).utf8.count),
            "dispatches_per_s": received / seconds,
            "client_received": received,
            "lost": Double(count) - received,
            "client_cpu_us_per_message": (result["cpu_s"]?.doubleValue ?? 0) / Double(count) * 1e6,
        ]) { $1 }
    }
}

/// The `fast-upstream` child: a gateway that answers one connection with HELLO, READY after IDENTIFY,
/// then `count` MESSAGE_CREATEs as fast as the socket takes them, all compressed with one zlib-stream
/// context ahead of time (so the upstream costs almost nothing while measured).
enum FastUpstream {
    /// A dispatch frame in Discord's key order, ~1.2 KB.
    static func dispatch(seq: Int) -> String {
        #"{"t":"MESSAGE_CREATE","s":\#(seq),"op":0,"d":"# + benchMessage.merging(["id": .string(String(1_300_000_000_000_000_000 + seq))])
            .merging(["content": .string("benchmark message " + String(repeating: "lorem ipsum dolor sit amet ", count: 27))]).jsonString + "}"
    }

    static func serve(count: Int) async throws {
        let compressor = try MessageCompressor(.zlibStream)
        func frame(_ json: String) throws -> ByteBuffer {
            var buffer = ByteBuffer()
            let compressed = try compressor.compress(Array(json.utf8))
            buffer.writeInteger(UInt8(0x82))
            if compressed.count < 126 {
                buffer.writeInteger(UInt8(compressed.count))
            } else {
                buffer.writeInteger(UInt8(126))
                buffer.writeInteger(UInt16(compressed.count))
            }
            buffer.writeBytes(compressed)
            return buffer
        }
        let hello = try frame(#"{"t":null,"s":null,"op":10,"d":{"heartbeat_interval":41250}}"#)
        let ready = try frame(
            #"{"t":"READY","s":1,"op":0,"d":{"v":10,"session_id":"bench","resume_gateway_url":"ws://127.0.0.1:1","user":{"id":"1000000000000000001","username":"mockbot"},"guilds":[],"application":{"id":"1000000000000000001","flags":0}}}"#)
        // The dispatches in chunks of 256 frames: one write each.
        var chunks: [ByteBuffer] = []
        var chunk = ByteBuffer()
        for index in 0..<count {
            var next = try frame(dispatch(seq: index + 2))
            chunk.writeBuffer(&next)
            if index % 256 == 255 {
                chunks.append(chunk)
                chunk = ByteBuffer()
            }
        }
        if chunk.readableBytes > 0 { chunks.append(chunk) }
        let script = Script(hello: hello, ready: ready, chunks: chunks)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20, automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FastUpstreamHandler(script: script)) }
            })
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        emitLine(String(server.localAddress?.port ?? 0))
        try await server.closeFuture.get()
    }

    struct Script: Sendable {
        let hello: ByteBuffer
        let ready: ByteBuffer
        let chunks: [ByteBuffer]
    }
}

/// Writes the script below NIO's frame encoder (the frames are already framed), pausing while the
/// socket is not writable.
final class FastUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    private let script: FastUpstream.Script
    private var next = 0
    private var blasting = false
    private var writing = false
    private var rearm = false
    private var wire: ChannelHandlerContext?

    init(script: FastUpstream.Script) { self.script = script }

    func handlerAdded(context: ChannelHandlerContext) {
        wire = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        // HELLO once the upgrade has finished (the HTTP encoder is still in the pipeline now).
        let hello = script.hello
        let wire = NIOLoopBound(wire, eventLoop: context.eventLoop)
        context.eventLoop.execute { wire.value?.writeAndFlush(NIOAny(hello), promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.opcode == .connectionClose { return context.close(promise: nil) }
        guard !blasting, frame.opcode == .text, String(buffer: frame.unmaskedData).hasPrefix(#"{"op":2"#) else { return }
        blasting = true
        wire?.write(NIOAny(script.ready), promise: nil)
        blast(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if blasting { blast(context: context) }
    }

    private func blast(context: ChannelHandlerContext) {
        // A write can change writability (and call back here) before it returns: take the chunk first.
        guard let wire else { return }
        if writing { return rearm = true }
        writing = true
        repeat {
            rearm = false
            while next < script.chunks.count, context.channel.isWritable {
                let chunk = script.chunks[next]
                next += 1
                wire.write(NIOAny(chunk), promise: nil)
            }
            wire.flush()
        } while rearm
        writing = false
    }
}
