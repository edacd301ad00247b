import GatewayModel
import GatewayWorld
import GatewayScenario

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
        scenario: Scenario? = nil
    ) {
        self.scenario = scenario
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
