import AsyncHTTPClient
import Foundation
import GatewayModel
import GatewayProxy
import GatewayScenario
import GatewayServer
import GatewayTestClient
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import Testing

/// Collects what a server reports, for assertions.
final class MemorySink: RecordingSink {
    private let events = Mutex<[RecordEvent]>([])
    func record(_ event: RecordEvent) { events.withLock { $0.append(event) } }
    var all: [RecordEvent] { events.withLock { $0 } }

    var frames: [FrameRecord] { all.compactMap { if case .frame(let frame) = $0 { frame } else { nil } } }
    var closes: [ConnectionClosedRecord] { all.compactMap { if case .connectionClosed(let close) = $0 { close } else { nil } } }
    var calls: [HTTPRecord] { all.compactMap { if case .http(let call) = $0 { call } else { nil } } }
    /// Control actions as recorded: the action and its `args`.
    var controls: [(action: String, args: JSONValue)] {
        all.compactMap { if case .control(let control) = $0 { (control.action, (try? JSONValue(parsing: control.args)) ?? .null) } else { nil } }
    }

    /// Waits until `condition` holds (the servers record on their own event loops).
    func wait(timeout: Duration = .seconds(5), for condition: (MemorySink) -> Bool) async throws {
        let start = ContinuousClock.now
        while !condition(self) {
            guard ContinuousClock.now - start < timeout else { throw TestClientError.timeout }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// An upstream that looks like Discord (a `GatewayServer` speaking HTTPS/WSS with a certificate from a
/// throwaway CA) and a proxy in front of it that trusts that CA (with `scenario` armed on every
/// session of the proxy); both record into memory.
struct ProxyHarness {
    let certificates: TestCertificates
    let upstream: GatewayServer
    let upstreamPort: Int
    let upstreamSink: MemorySink
    let proxy: GatewayProxy
    let port: Int
    let sink: MemorySink
    private let tasks: [Task<Void, any Error>]

    static func start(heartbeatInterval: Int = 41_250, trustCA: Bool = true, scenario: Scenario? = nil) async throws -> ProxyHarness {
        let certificates = try TestCertificates.make()
        let upstreamSink = MemorySink()
        let upstream = GatewayServer(configuration: .init(
            port: 0, heartbeatInterval: heartbeatInterval, recordingSink: upstreamSink,
            tlsContext: try GatewayServerConfiguration.tlsContext(certificateChain: certificates.certificatePath, privateKey: certificates.keyPath)))
        let upstreamTask = Task { try await upstream.run() }
        let upstreamPort = try await upstream.listeningPort()
        let sink = MemorySink()
        let proxy = try GatewayProxy(configuration: .init(
            upstream: try UpstreamURL("https://127.0.0.1:\(upstreamPort)", schemes: ["https"]),
            upstreamCACertificates: trustCA ? try GatewayProxyConfiguration.certificates(pemFile: certificates.caPath) : [],
            server: .init(port: 0, recordingSink: sink, scenario: scenario)))
        let proxyTask = Task { try await proxy.run() }
        let port = try await proxy.listeningPort()
        return ProxyHarness(
            certificates: certificates, upstream: upstream, upstreamPort: upstreamPort, upstreamSink: upstreamSink, proxy: proxy,
            port: port, sink: sink, tasks: [upstreamTask, proxyTask])
    }

    /// Runs `body` with a fresh upstream and proxy, and stops both afterwards (also when it throws).
    static func run(
        heartbeatInterval: Int = 41_250, trustCA: Bool = true, scenario: Scenario? = nil, _ body: (ProxyHarness) async throws -> Void
    ) async throws {
        let harness = try await start(heartbeatInterval: heartbeatInterval, trustCA: trustCA, scenario: scenario)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    func stop() async {
        await proxy.close()
        await upstream.close()
        for task in tasks { _ = try? await task.value }
        certificates.remove()
    }

    /// Connects a bot to the proxy, reads HELLO, identifies and reads READY and its GUILD_CREATEs.
    func identify(token: String = "proxy-bot", query: String = "v=10&encoding=json", path: String = "/") async throws -> (GatewayTestClient, JSONValue) {
        let client = try await GatewayTestClient.connect(port: port, path: path, query: query)
        let hello = try await client.next()
        #expect(hello["op"] == 10)
        try await client.send(op: 2, [
            "token": .string(token), "intents": .int(Int64(GatewayIntents.documented.rawValue)),
            "properties": ["os": "linux", "browser": "test", "device": "test"],
        ])
        let ready = try await client.nextDispatch("READY")
        for _ in ready["d"]?["guilds"]?.arrayValue ?? [] { _ = try await client.nextDispatch("GUILD_CREATE") }
        return (client, ready)
    }

    /// The upstream's session for a token (made by the bot's IDENTIFY through the proxy).
    func upstreamSession() throws -> String {
        try #require(upstream.sessions().first?.id)
    }

    /// The proxy's session for the bot.
    func proxySession() throws -> String {
        try #require(proxy.server.sessions().first?.id)
    }
}

/// A plain HTTP client for the proxy's own port (REST and control API).
func httpRequest(
    _ method: HTTPMethod = .GET, _ url: String, headers: [(String, String)] = [], body: String? = nil, client: HTTPClient = .shared
) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await client.execute(request, timeout: .seconds(15))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), response.headers, String(buffer: bytes))
}
