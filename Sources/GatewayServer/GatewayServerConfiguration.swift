import GatewayModel
import GatewayWorld
import GatewayScenario
import NIOSSL

/// How a `GatewayServer` listens and behaves. Every field has the default `gatewaytape serve` uses.
public struct GatewayServerConfiguration: Sendable {
    /// Address to bind; `127.0.0.1` keeps the control API on loopback.
    public var host: String
    /// Port to bind; 0 picks a free one (read it back with `GatewayServer.listeningPort()`).
    public var port: Int
    /// HELLO's `heartbeat_interval` for new connections, in milliseconds.
    public var heartbeatInterval: Int
    /// The world new sessions see unless they are created with their own fixture.
    public var fixture: Fixture
    /// Only tokens of sessions created through the control API (or Swift API) may IDENTIFY (else 4004),
    /// and REST calls need `Authorization: Bot TOKEN` (else 401).
    public var strictTokens: Bool
    /// When set, every control API call needs `Authorization: Bearer TOKEN`.
    public var controlToken: String?
    /// Enforce 120 commands per 60 s per connection (close 4008).
    public var rateLimit: Bool
    /// Where every frame, connection, control action and REST call is reported (the recorder).
    public var recordingSink: (any RecordingSink)?
    /// Answers op 8 and op 4 instead of the fixture (replay).
    public var commandResponder: (any GatewayCommandResponder)?
    /// Answers REST calls before the world does (replay: from the recording).
    public var restResponder: (any RESTResponder)?
    /// The wall clock of the sessions' worlds: snowflakes, timestamps and interaction deadlines.
    public var worldClock: any WorldClock = SystemWorldClock()
    /// Milliseconds an interaction's first callback may take (Discord: 3,000; a replay scales it).
    public var interactionCallbackWindow: UInt64 = 3_000
    /// A scenario armed on every session when it is created (`--scenario`).
    public var scenario: Scenario?
    /// When set, the port speaks HTTPS and WSS, and the URLs the server hands out say `https`/`wss`
    /// (see `GatewayServerConfiguration.tlsContext(certificateChain:privateKey:)`).
    public var tlsContext: NIOSSLContext?
    /// Proxy mode (SPEC §10): REST calls and gateway connections are forwarded here instead of answered.
    public var upstream: (any GatewayUpstream)?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8765,
        heartbeatInterval: Int = 41_250,
        fixture: Fixture = .default,
        strictTokens: Bool = false,
        controlToken: String? = nil,
        rateLimit: Bool = true,
        recordingSink: (any RecordingSink)? = nil,
        commandResponder: (any GatewayCommandResponder)? = nil,
        scenario: Scenario? = nil,
        tlsContext: NIOSSLContext? = nil,
        upstream: (any GatewayUpstream)? = nil
    ) {
        self.scenario = scenario
        self.tlsContext = tlsContext
        self.upstream = upstream
        self.commandResponder = commandResponder
        self.host = host
        self.port = port
        self.heartbeatInterval = heartbeatInterval
        self.fixture = fixture
        self.strictTokens = strictTokens
        self.controlToken = controlToken
        self.rateLimit = rateLimit
        self.recordingSink = recordingSink
    }
}

extension GatewayServerConfiguration {
    /// A server TLS context from PEM files: a certificate chain (leaf first) and a PKCS#8 private key
    /// (RSA or EC).
    /// - Throws: `TLSFileError` naming the file that could not be read or used.
    public static func tlsContext(certificateChain: String, privateKey: String) throws(TLSFileError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateChain) } catch {
            throw TLSFileError(path: certificateChain, problem: "not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw TLSFileError(path: certificateChain, problem: "no certificate in the file") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: privateKey, format: .pem) } catch {
            throw TLSFileError(path: privateKey, problem: "not a readable PEM private key (\(error))")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw TLSFileError(path: privateKey, problem: "does not go with the certificate \(certificateChain) (\(error))")
        }
    }
}

/// A certificate or key file that could not be used.
public struct TLSFileError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong with it.
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
