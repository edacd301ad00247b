import Foundation
import GatewayModel
import NIOCore
import NIOHTTP1
import NIOPosix

/// `rest-load`, the load generator of `rest` (a child process): `connections` keep-alive HTTP/1.1
/// connections on one event loop posting `{"content":"bench <t>"}` to a channel, one request in flight
/// per connection (no pipelining). `t` is the request's scheduled send time (CLOCK_MONOTONIC ns, the
/// same clock in every process) so the gateway client can time the echoed MESSAGE_CREATE too.
/// Closed loop (no rate): each answer sends the next request at once. Open loop (`rate`): request `i`
/// is due at `start + i / rate` whatever came back; a due request waits for an idle connection, and
/// its latency runs from when it was due, so a slow answer cannot hide the requests behind it
/// (no coordinated omission).
enum RESTLoadClient {
    static func run(port: Int, token: String, channelID: String, count: Int, connections: Int, rate: Double?) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let generator = RESTLoadGenerator(loop: loop, port: port, token: token, channelID: channelID)
        let cpuStart = processCPUSeconds()
        for _ in 0..<connections {
            // TCP_NODELAY is ClientBootstrap's default.
            let channel = try await ClientBootstrap(group: loop).connect(host: "127.0.0.1", port: port).get()
            try await loop.submit {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(RESTLoadConnection(generator: generator))
            }.get()
        }
        // One request per connection first: the world is seeded and every connection is warm.
        _ = try await loop.flatSubmit { generator.start(count: connections, rate: nil) }.get()
        emitLine("ready")
        let result = try await loop.flatSubmit { generator.start(count: count, rate: rate) }.get()
        let cpu = processCPUSeconds() - cpuStart
        emitLine(result.json(cpuSeconds: cpu).jsonString)
        try await group.shutdownGracefully()
    }
}

/// One run's outcome as the load client measured it.
struct RESTLoadResult {
    var latencies: [UInt64]
    var failures: Int
    var firstStatus: Int?
    var seconds: Double

    func json(cpuSeconds: Double) -> JSONValue {
        let summary = LatencySummary(latencies)
        return [
            "answered": .int(Int64(latencies.count)), "failed": .int(Int64(failures)), "seconds": .double(seconds),
            "p50_ms": .double(summary.p50), "p99_ms": .double(summary.p99), "max_ms": .double(summary.max),
            "first_failure_status": firstStatus.map { .int(Int64($0)) } ?? .null, "cpu_s": .double(cpuSeconds),
        ]
    }
}

/// Latency percentiles in milliseconds of nanosecond samples.
struct LatencySummary {
    var p50 = 0.0, p99 = 0.0, max = 0.0

    init(_ samples: [UInt64]) {
        let sorted = samples.sorted()
        guard let last = sorted.last else { return }
        func percentile(_ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6 }
        (p50, p99, max) = (percentile(0.5), percentile(0.99), Double(last) / 1e6)
    }
}

/// The requests of a run and the connections that carry them. Confined to `loop` (every method runs on it).
final class RESTLoadGenerator: @unchecked Sendable {
    let loop: any EventLoop
    private let head: HTTPRequestHead
    private var idle: [RESTLoadConnection] = []
    /// Open loop: due times of requests waiting for an idle connection, oldest first.
    private var waiting: [UInt64] = []
    private var waitingStart = 0
    private var count = 0, sent = 0
    private var rate: Double?
    private var start: UInt64 = 0
    private var latencies: [UInt64] = []
    private var failures = 0
    private var firstFailure: Int?
    private var finished: EventLoopPromise<RESTLoadResult>?
    /// Bytes of the body around the 20-digit time.
    private static let bodyPrefix = #"{"content":"bench "#, bodySuffix = #""}"#
    private static let bodyLength = bodyPrefix.utf8.count + 20 + bodySuffix.utf8.count

    init(loop: any EventLoop, port: Int, token: String, channelID: String) {
        self.loop = loop
        let headers = HTTPHeaders([
            ("Host", "127.0.0.1:\(port)"), ("Authorization", "Bot " + token), ("Content-Type", "application/json"),
            ("Content-Length", String(Self.bodyLength)), ("User-Agent", "gateway-bench"),
        ])
        head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/v10/channels/\(channelID)/messages", headers: headers)
    }

    func register(_ connection: RESTLoadConnection) { idle.append(connection) }

    /// Sends `count` requests (closed loop without `rate`) and completes when all are answered.
    func start(count: Int, rate: Double?) -> EventLoopFuture<RESTLoadResult> {
        let promise = loop.makePromise(of: RESTLoadResult.self)
        (self.count, self.rate, sent, failures, firstFailure, finished) = (count, rate, 0, 0, nil, promise)
        latencies = []
        latencies.reserveCapacity(count)
        start = MonotonicClock.now()
        if rate != nil {
            sendDue()
        } else {
            while sent < count, let connection = idle.popLast() { send(on: connection, due: start) }
        }
        return promise.futureResult
    }

    /// Open loop: queues every request due by now, hands them to idle connections, and wakes at the next due time.
    private func sendDue() {
        guard let rate, sent + (waiting.count - waitingStart) < count else { return }
        let now = MonotonicClock.now()
        while sent + (waiting.count - waitingStart) < count {
            let next = start + UInt64(Double(sent + waiting.count - waitingStart) * 1e9 / rate)
            guard next <= now else {
                loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(next)) { self.sendDue() }
                break
            }
            waiting.append(next)
        }
        while waitingStart < waiting.count, let connection = idle.popLast() { sendWaiting(on: connection) }
    }

    private func sendWaiting(on connection: RESTLoadConnection) {
        let time = waiting[waitingStart]
        waitingStart += 1
        if waitingStart == waiting.count { (waiting, waitingStart) = ([], 0) }
        send(on: connection, due: time)
    }

    private func send(on connection: RESTLoadConnection, due: UInt64) {
        sent += 1
        var body = ByteBuffer()
        body.reserveCapacity(Self.bodyLength)
        body.writeString(Self.bodyPrefix)
        let digits = String(due)
        body.writeString(String(repeating: "0", count: 20 - digits.utf8.count) + digits)
        body.writeString(Self.bodySuffix)
        connection.send(head: head, body: body, due: due)
    }

    /// An answer arrived on `connection` for the request due at `due`.
    func answered(_ connection: RESTLoadConnection, status: Int, due: UInt64) {
        latencies.append(MonotonicClock.now() &- due)
        if status != 200 {
            failures += 1
            if firstFailure == nil { firstFailure = status }
        }
        if latencies.count == count, let finished {
            self.finished = nil
            idle.append(connection)
            let seconds = Double(MonotonicClock.now() - start) / 1e9
            return finished.succeed(RESTLoadResult(latencies: latencies, failures: failures, firstStatus: firstFailure, seconds: seconds))
        }
        if rate == nil, sent < count {
            send(on: connection, due: MonotonicClock.now())
        } else if waitingStart < waiting.count {
            sendWaiting(on: connection)
        } else {
            idle.append(connection)
        }
    }

    /// A connection closed: the run cannot finish.
    func failed(_ error: any Error) {
        finished?.fail(error)
        finished = nil
    }
}

/// One keep-alive connection: writes a request, reports its answer's status when the answer ends.
final class RESTLoadConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    private let generator: RESTLoadGenerator
    private var context: ChannelHandlerContext?
    private var status = 0
    private var due: UInt64 = 0

    init(generator: RESTLoadGenerator) { self.generator = generator }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        generator.register(self)
    }

    func send(head: HTTPRequestHead, body: ByteBuffer, due: UInt64) {
        guard let context else { return }
        self.due = due
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body: break
        case .end: generator.answered(self, status: status, due: due)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        generator.failed(BenchError("the server closed a keep-alive connection"))
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        generator.failed(error)
        context.close(promise: nil)
    }
}
