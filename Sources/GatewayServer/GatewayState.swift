import GatewayModel
import Synchronization

/// The state every connection and HTTP handler of one server shares.
final class GatewayState: Sendable {
    let configuration: GatewayServerConfiguration
    let registry: SessionRegistry
    /// Where sessions and connection events go.
    var sink: (any RecordingSink)? { configuration.recordingSink }
    /// Where frames, control actions and REST calls go (nil when the sink does not want them).
    let trafficSink: (any RecordingSink)?
    private let interval: Atomic<Int>
    /// When the server was made (the actions log's `t_ns` counts from here).
    let startedAt = MonotonicClock.now()
    /// The next REST call's id (`http.id`, the actions log's `id`).
    private let nextHTTPID = Atomic<Int64>(1)
    /// Which session made each interaction token (interaction and webhook routes carry no `Authorization`).
    private let interactionTokens = Mutex<[String: String]>([:])
    private let shuttingDown = Atomic(false)

    init(configuration: GatewayServerConfiguration) {
        self.configuration = configuration
        self.registry = SessionRegistry(
            sink: configuration.recordingSink, scenario: configuration.scenario, worldClock: configuration.worldClock,
            callbackWindow: configuration.interactionCallbackWindow)
        self.trafficSink = configuration.recordingSink.flatMap { $0.recordsTraffic ? $0 : nil }
        self.interval = Atomic(configuration.heartbeatInterval)
    }

    /// `https`/`wss` with a TLS context, else `http`/`ws`.
    var isSecure: Bool { configuration.tlsContext != nil }

    /// The gateway URL a client reaches this server by, from the `Host` it used (no path, no query).
    func gatewayURL(authority: String?) -> String {
        (isSecure ? "wss://" : "ws://") + (authority ?? "\(configuration.host):\(configuration.port)")
    }

    /// Set once the server is closing: new gateway connections are closed at once with 1001.
    var isShuttingDown: Bool {
        get { shuttingDown.load(ordering: .relaxed) }
        set { shuttingDown.store(newValue, ordering: .relaxed) }
    }

    /// HELLO's interval (ms) for new connections.
    var heartbeatInterval: Int {
        get { interval.load(ordering: .relaxed) }
        set { interval.store(newValue, ordering: .relaxed) }
    }

    private let nextFaultID = Atomic<Int64>(1)

    /// A new REST fault id.
    func makeFaultID() -> Int64 { nextFaultID.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// A new REST call id, increasing.
    func makeHTTPID() -> Int64 { nextHTTPID.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// Remembers which session an interaction token belongs to.
    func registerInteractionToken(_ token: String, sessionID: String) {
        interactionTokens.withLock { $0[token] = sessionID }
    }

    /// The session an interaction token belongs to.
    func session(forInteractionToken token: String) -> BotSession? {
        interactionTokens.withLock { $0[token] }.flatMap { registry.session(id: $0) }
    }

    /// Reports a control or fault action to the recorder (the arguments are built only when recording).
    func recordControl(sessionID: String?, action: String, args: @autoclosure () -> JSONValue = [:]) {
        recordControl(sessionID: sessionID, action: action, arguments: .json(args().jsonString))
    }

    /// Reports a control action with arguments in the recorder's own form.
    func recordControl(sessionID: String?, action: String, arguments: @autoclosure () -> ControlRecord.Arguments) {
        guard let sink = trafficSink else { return }
        sink.record(.control(ControlRecord(sessionID: sessionID, action: action, arguments: arguments(), t: MonotonicClock.now())))
    }
}
