import GatewayScenario
import GatewayServer
import Logging
import NIOSSL
import ServiceLifecycle

/// `gatewaytape proxy` as a Swift type: a `GatewayServer` in proxy mode (SPEC §10) in front of a real
/// Discord. The bot points its REST base and gateway URL at the proxy; every call and connection is
/// forwarded, recorded through the server's recording sink, and the fault controls act on the bot's side.
///
/// ```swift
/// let proxy = try GatewayProxy(configuration: .init(upstream: try UpstreamURL("https://discord.com", schemes: ["https"]),
///                                                   server: .init(port: 0, recordingSink: recorder)))
/// let task = Task { try await proxy.run() }
/// let port = try await proxy.listeningPort()
/// // the bot: REST http://127.0.0.1:\(port)/api/v10, gateway ws://127.0.0.1:\(port)
/// proxy.server.disconnectSession(sessionID, closeCode: 4000)   // faults: the server's operations
/// await proxy.close()
/// ```
public final class GatewayProxy: Service, Sendable {
    /// The bot-facing server: sessions, recording and the fault operations (`disconnectSession`,
    /// `dropConnections`, `setStopHeartbeatAcks`, `sendReconnect`, `sendInvalidSession`,
    /// `requestHeartbeat`, `invalidateSession`) work on the proxied connections.
    public let server: GatewayServer
    private let upstream: ProxyUpstream

    /// Creates the proxy; nothing listens until `run()`.
    /// - Throws: `ScenarioError` when `configuration.server.scenario` has a rule that makes events of its
    ///   own (`dispatch`, `interaction`: the upstream owns them); a TLS error when the CA certificates
    ///   cannot be used.
    public init(configuration: GatewayProxyConfiguration, logger: Logger = GatewayServer.defaultLogger) throws {
        try configuration.server.scenario?.checkForProxy()
        var tls = TLSConfiguration.makeClientConfiguration()
        if !configuration.upstreamCACertificates.isEmpty {
            tls.additionalTrustRoots = [.certificates(configuration.upstreamCACertificates)]
        }
        let upstream = try ProxyUpstream(rest: configuration.upstream, gateway: configuration.upstreamGateway, tlsConfiguration: tls, logger: logger)
        var server = configuration.server
        server.upstream = upstream
        self.upstream = upstream
        self.server = GatewayServer(configuration: server, logger: logger)
    }

    /// Serves until `close()` or a graceful shutdown.
    public func run() async throws {
        do {
            try await server.run()
        } catch {
            await upstream.shutdown()
            throw error
        }
        await upstream.shutdown()
    }

    /// The bound port, once listening.
    public func listeningPort() async throws -> Int { try await server.listeningPort() }

    /// Closes every bot connection with 1001 (their upstream connections with it) and stops.
    public func close() async { await server.close() }
}
