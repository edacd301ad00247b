import Foundation
import GatewayModel
import GatewayScenario
import GatewayWorld
import Synchronization

/// Every session, token, gateway session and open connection of a server. Thread-safe; lookups
/// only (no I/O under the lock).
final class SessionRegistry: Sendable {
    private struct State: Sendable {
        var sessions: [String: BotSession] = [:]
        var sessionOrder: [String] = []
        var byToken: [String: BotSession] = [:]
        var gatewaySessions: [String: GatewaySession] = [:]
        var connections: [Int64: ConnectionHandle] = [:]
        var nextConnectionID: Int64 = 1
    }
    private let state = Mutex(State())
    private let sink: (any RecordingSink)?
    private let worldClock: any WorldClock
    private let callbackWindow: UInt64
    /// Armed on every session at its creation.
    private let scenario: Scenario?

    init(sink: (any RecordingSink)?, scenario: Scenario? = nil, worldClock: any WorldClock = SystemWorldClock(), callbackWindow: UInt64 = 3_000) {
        self.sink = sink
        self.scenario = scenario
        self.worldClock = worldClock
        self.callbackWindow = callbackWindow
    }

    // MARK: Sessions

    /// Creates a session. A given token must not be in use; without one a Discord-shaped token is made.
    func createSession(name: String?, token: String?, fixture: Fixture) throws(RegistryError) -> BotSession {
        let token = token ?? Self.makeToken(botUserID: fixture.botUserID)
        let world = World(fixture: fixture, clock: worldClock, callbackWindow: callbackWindow)
        let session = BotSession(id: Self.randomHex(12), name: name, token: token, fixture: fixture, world: world)
        if let scenario { _ = session.arm(SessionScenario(scenario, readyAt: nil)) }
        try state.withLock { state throws(RegistryError) in
            guard state.byToken[token] == nil else { throw RegistryError.tokenInUse }
            state.sessions[session.id] = session
            state.sessionOrder.append(session.id)
            state.byToken[token] = session
        }
        sink?.record(.session(SessionRecord(id: session.id, name: name, tokenSHA256: Redaction.sha256Hex(token), t: MonotonicClock.now())))
        return session
    }

    /// The session of a token; creates one with `fixture` when `autoCreate` and the token is new.
    func session(forToken token: String, autoCreate: Bool, fixture: Fixture) -> BotSession? {
        if let existing = state.withLock({ $0.byToken[token] }) { return existing }
        guard autoCreate else { return nil }
        do {
            return try createSession(name: nil, token: token, fixture: fixture)
        } catch {
            // Another connection created it first.
            return state.withLock { $0.byToken[token] }
        }
    }

    func session(id: String) -> BotSession? { state.withLock { $0.sessions[id] } }

    var sessions: [BotSession] { state.withLock { state in state.sessionOrder.compactMap { state.sessions[$0] } } }

    /// Forgets a session; returns it so its connections can be closed.
    func removeSession(id: String) -> BotSession? {
        state.withLock { state in
            guard let session = state.sessions.removeValue(forKey: id) else { return nil }
            state.sessionOrder.removeAll { $0 == id }
            state.byToken[session.token] = nil
            for gateway in session.gatewaySessions { state.gatewaySessions[gateway.id] = nil }
            return session
        }
    }

    // MARK: Gateway sessions

    func register(_ gateway: GatewaySession) {
        state.withLock { $0.gatewaySessions[gateway.id] = gateway }
        gateway.botSession.add(gateway)
    }

    func gatewaySession(id: String) -> GatewaySession? { state.withLock { $0.gatewaySessions[id] } }

    /// Forgets gateway sessions past their resume window.
    func sweepExpired(now: UInt64) {
        for session in sessions {
            let expired = session.removeExpired(now: now)
            guard !expired.isEmpty else { continue }
            state.withLock { state in for gateway in expired { state.gatewaySessions[gateway.id] = nil } }
        }
    }

    // MARK: Connections

    func nextConnectionID() -> Int64 {
        state.withLock { state in
            defer { state.nextConnectionID += 1 }
            return state.nextConnectionID
        }
    }

    func add(_ connection: ConnectionHandle) { state.withLock { $0.connections[connection.id] = connection } }
    func remove(_ connection: ConnectionHandle) { state.withLock { _ = $0.connections.removeValue(forKey: connection.id) } }
    var connectionCount: Int { state.withLock { $0.connections.count } }
    var connections: [ConnectionHandle] { state.withLock { Array($0.connections.values) } }

    // MARK: Tokens and ids

    /// A Discord-shaped bot token: `base64(bot user id)` `.` 6 characters `.` 38 characters.
    static func makeToken(botUserID: String) -> String {
        let head = Data(botUserID.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return head + "." + randomToken(6) + "." + randomToken(38)
    }

    static func randomHex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<count).map { _ in digits[Int.random(in: 0..<16)] })
    }

    private static func randomToken(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<count).map { _ in alphabet.randomElement()! })
    }
}

/// Why the registry refused a request.
enum RegistryError: Error {
    case tokenInUse
}
