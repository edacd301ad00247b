import GatewayServer
import NIOSSL

/// What a `GatewayProxy` forwards to and how it serves the bot.
public struct GatewayProxyConfiguration: Sendable {
    /// Discord's REST base, default `https://discord.com`; each call goes to this URL + the bot's path.
    public var upstream: UpstreamURL
    /// The upstream gateway; `nil`: the `url` of the upstream's `GET /api/v10/gateway`.
    public var upstreamGateway: UpstreamURL?
    /// CA certificates trusted for the upstream besides the system's trust store.
    public var upstreamCACertificates: [NIOSSLCertificate]
    /// The bot's side: host, port, control token, recording sink, TLS (its `upstream` is set by the proxy).
    public var server: GatewayServerConfiguration

    /// The default upstream, `https://discord.com`.
    public static let discord = try! UpstreamURL("https://discord.com", schemes: ["https"])

    public init(
        upstream: UpstreamURL = GatewayProxyConfiguration.discord, upstreamGateway: UpstreamURL? = nil,
        upstreamCACertificates: [NIOSSLCertificate] = [], server: GatewayServerConfiguration = .init()
    ) {
        self.upstream = upstream
        self.upstreamGateway = upstreamGateway
        self.upstreamCACertificates = upstreamCACertificates
        self.server = server
    }

    /// The upstream URLs as a recording's `meta.source` names them: the REST base, then the gateway
    /// when one is configured (`https://discord.com wss://gateway.discord.gg`).
    public var source: String {
        upstreamGateway.map { "\(upstream) \($0)" } ?? upstream.description
    }

    /// Reads `--upstream-ca`: one or more PEM certificates.
    /// - Throws: `TLSFileError` naming the file.
    public static func certificates(pemFile path: String) throws(TLSFileError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do { certificates = try NIOSSLCertificate.fromPEMFile(path) } catch {
            throw TLSFileError(path: path, problem: "not a readable PEM certificate file (\(error))")
        }
        guard !certificates.isEmpty else { throw TLSFileError(path: path, problem: "no certificate in the file") }
        return certificates
    }
}
