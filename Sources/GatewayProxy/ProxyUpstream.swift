import AsyncHTTPClient
import Foundation
import GatewayModel
import GatewayServer
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import Synchronization

/// The real Discord (or any gateway that speaks like it) behind a proxy: REST calls are forwarded with
/// async-http-client, gateway connections with `UpstreamGatewayConnection`; both verify TLS against
/// the system's trust store plus the extra CA certificates given.
final class ProxyUpstream: GatewayUpstream {
    /// The path of the proxy's `resume_gateway_url`s: `/resume/{session_id}`.
    static let resumePathPrefix = "/resume/"
    /// The query the proxy connects upstream with (before `v`): JSON, zlib-stream transport compression.
    static let upstreamQuery = "encoding=json&compress=zlib-stream"
    /// Answers up to this size are forwarded.
    static let maxBodySize = 100 << 20
    /// Request headers that are not forwarded: hop-by-hop ones, `Host` (rewritten), `Content-Length`
    /// (recomputed) and `Accept-Encoding` (so that answers come back readable, to record and rewrite).
    static let requestHeadersNotForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
        "host", "content-length", "accept-encoding",
    ]
    /// Answer headers that are not passed back: hop-by-hop ones and `Content-Length` (recomputed).
    static let responseHeadersNotForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
        "content-length",
    ]

    let rest: UpstreamURL
    private let configuredGateway: UpstreamURL?
    private let discoveredGateway = Mutex<UpstreamURL?>(nil)
    /// Where each gateway session resumes upstream (READY's `resume_gateway_url`), by session id.
    private let resumeURLs = Mutex<[String: UpstreamURL]>([:])
    private let client: HTTPClient
    private let tls: NIOSSLContext
    private let logger: Logger

    init(rest: UpstreamURL, gateway: UpstreamURL?, tlsConfiguration: TLSConfiguration, logger: Logger) throws {
        self.rest = rest
        self.configuredGateway = gateway
        self.logger = logger
        self.tls = try NIOSSLContext(configuration: tlsConfiguration)
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tlsConfiguration
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    // MARK: Gateway

    func connect(_ relay: GatewayRelay) -> any GatewayUpstreamConnection {
        let connection = UpstreamGatewayConnection(relay: relay, logger: logger) { [self] sessionID, resumeURL in
            do throws(UpstreamURLError) {
                let url = try UpstreamURL(resumeURL, schemes: ["ws", "wss"])
                resumeURLs.withLock { $0[sessionID] = url }
            } catch {
                logger.warning("gateway: READY's resume_gateway_url is not usable: \(error)")
            }
        }
        let query = Self.upstreamQuery(botQuery: relay.query)
        if relay.path.hasPrefix(Self.resumePathPrefix) {
            let sessionID = String(relay.path.dropFirst(Self.resumePathPrefix.count))
            if let url = resumeURLs.withLock({ $0[sessionID] }) {
                connection.start(url: url, query: query, tls: url.isSecure ? tls : nil)
                return connection
            }
        }
        if let url = configuredGateway ?? discoveredGateway.withLock({ $0 }) {
            connection.start(url: url, query: query, tls: url.isSecure ? tls : nil)
            return connection
        }
        let bound = NIOLoopBound(connection, eventLoop: relay.eventLoop)
        let eventLoop = relay.eventLoop
        Task { [self] in
            let discovered = await discoverGateway()
            eventLoop.execute {
                switch discovered {
                case .success(let url): bound.value.start(url: url, query: query, tls: url.isSecure ? self.tls : nil)
                case .failure(let failure): bound.value.fail(failure.reason)
                }
            }
        }
        return connection
    }

    /// The upstream query: the bot's API version, JSON, zlib-stream.
    static func upstreamQuery(botQuery: String) -> String {
        let version = botQuery.split(separator: "&").first { $0.hasPrefix("v=") }.map { String($0.dropFirst(2)) } ?? "10"
        return "v=\(version)&" + upstreamQuery
    }

    struct DiscoveryFailure: Error { let reason: String }

    /// The gateway URL the upstream's unauthenticated `GET /api/v10/gateway` answers (cached once known).
    private func discoverGateway() async -> Result<UpstreamURL, DiscoveryFailure> {
        let request = HTTPClientRequest(url: rest.description + "/api/v10/gateway")
        do {
            let response = try await client.execute(request, timeout: .seconds(30), logger: logger)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok, let text = (try? JSONValue(parsing: body.readableBytesView))?["url"]?.stringValue else {
                return .failure(DiscoveryFailure(reason: "upstream \(rest): GET /api/v10/gateway answered \(response.status.code) without a url"))
            }
            let url = try UpstreamURL(text, schemes: ["ws", "wss"])
            discoveredGateway.withLock { $0 = url }
            return .success(url)
        } catch let error as UpstreamURLError {
            return .failure(DiscoveryFailure(reason: "upstream \(rest): GET /api/v10/gateway gave an unusable url \(error)"))
        } catch {
            return .failure(DiscoveryFailure(reason: UpstreamFailure.describe(error, upstream: rest)))
        }
    }

    // MARK: REST

    func forward(_ request: UpstreamRequest) async -> UpstreamResponse {
        var outgoing = HTTPClientRequest(url: rest.description + request.path)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers where !Self.requestHeadersNotForwarded.contains(name.lowercased()) {
            outgoing.headers.add(name: name, value: value)
        }
        if request.body.readableBytes > 0 { outgoing.body = .bytes(request.body) }
        do {
            let response = try await client.execute(outgoing, timeout: .seconds(60), logger: logger)
            var body = try await response.body.collect(upTo: Self.maxBodySize)
            var headers = HTTPHeaders()
            for (name, value) in response.headers where !Self.responseHeadersNotForwarded.contains(name.lowercased()) {
                headers.add(name: name, value: value)
            }
            if response.status == .ok, Self.isGatewayRoute(request.path),
                let rewritten = body.withUnsafeReadableBytes({ JSONText.replacingStringValue(of: "url", in: $0, with: request.gatewayURL) })
            {
                body = ByteBuffer(bytes: rewritten)
            }
            return UpstreamResponse(status: Int(response.status.code), headers: headers, body: body)
        } catch {
            let reason = UpstreamFailure.describe(error, upstream: rest)
            logger.error("REST \(request.method) \(request.path): \(reason)")
            let answer: JSONValue = ["message": .string("gatewaytape proxy: \(reason)"), "code": 0, "upstream": .string(rest.description)]
            return UpstreamResponse(status: 502, headers: ["Content-Type": "application/json"], body: ByteBuffer(bytes: answer.jsonBytes))
        }
    }

    /// `GET /gateway` and `/gateway/bot` under any `/api` prefix: their `url` points at the proxy.
    static func isGatewayRoute(_ path: String) -> Bool {
        var route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        for prefix in ["/api/v10", "/api/v9", "/api"] where route.hasPrefix(prefix + "/") {
            route.removeFirst(prefix.count)
            break
        }
        return route == "/gateway" || route == "/gateway/bot"
    }
}
