import GatewayModel
import GatewayWorld
import Synchronization

/// One bot under test: a token, the world it sees (its fixture, and what its REST actions and the
/// events dispatched to it changed), its REST actions and faults, its fault flags and its gateway
/// sessions (one per shard connection, live or resumable).
final class BotSession: Sendable {
    let id: String
    let name: String?
    let token: String
    let fixture: Fixture
    let world: World
    /// The REST calls the bot made (control API `actions`).
    let actions = ActionLog()
    /// Injected REST answers waiting for a matching call.
    let restFaults = RESTFaultQueue()

    private struct State: Sendable {
        var stopAcks: Bool?
        var gatewaySessions: [GatewaySession] = []
        /// The first READY sent to the session (scenarios' `after_ms` counts from it).
        var firstReadyAt: UInt64?
        var scenario: SessionScenario?
    }
    private let state = Mutex(State())

    init(id: String, name: String?, token: String, fixture: Fixture, world: World) {
        self.id = id
        self.name = name
        self.token = token
        self.fixture = fixture
        self.world = world
    }

    /// The fault flags that are set, or `nil` when none is.
    var controlFlags: ControlFlags? {
        state.withLock { state in state.stopAcks.map { ControlFlags(stopHeartbeatAcks: $0) } }
    }

    var stopsHeartbeatAcks: Bool { state.withLock { $0.stopAcks ?? false } }

    func setStopHeartbeatAcks(_ stop: Bool) { state.withLock { $0.stopAcks = stop } }
    func clearControlFlags() { state.withLock { $0.stopAcks = nil } }

    /// Live and resumable gateway sessions.
    var gatewaySessions: [GatewaySession] { state.withLock { $0.gatewaySessions } }

    func add(_ session: GatewaySession) { state.withLock { $0.gatewaySessions.append(session) } }

    /// Forgets every gateway session and returns them (a deleted session): each refers back to this
    /// session, so keeping them would keep both alive.
    func removeAllGatewaySessions() -> [GatewaySession] {
        state.withLock { state in
            defer { state.gatewaySessions = [] }
            return state.gatewaySessions
        }
    }

    /// The scenario armed on the session, if any.
    var scenario: SessionScenario? { state.withLock { $0.scenario } }

    /// Arms a scenario (replacing the one armed before, returned so its timer can be stopped).
    func arm(_ scenario: SessionScenario?) -> SessionScenario? {
        state.withLock { state in
            defer { state.scenario = scenario }
            return state.scenario
        }
    }

    var firstReadyAt: UInt64? { state.withLock { $0.firstReadyAt } }

    /// Notes a READY; returns true for the session's first one.
    func markReady(at now: UInt64) -> Bool {
        state.withLock { state in
            guard state.firstReadyAt == nil else { return false }
            state.firstReadyAt = now
            return true
        }
    }

    /// Forgets gateway sessions that can no longer be resumed; returns them.
    func removeExpired(now: UInt64) -> [GatewaySession] {
        state.withLock { state in
            var expired: [GatewaySession] = []
            state.gatewaySessions.removeAll { session in
                let gone = session.isExpired(now: now)
                if gone { expired.append(session) }
                return gone
            }
            return expired
        }
    }
}

/// Fault flags of a session (`GET /api/control/sessions/{id}/flags`).
public struct ControlFlags: Sendable, Equatable {
    /// Heartbeats are not acknowledged (zombie connection).
    public var stopHeartbeatAcks: Bool

    public init(stopHeartbeatAcks: Bool) { self.stopHeartbeatAcks = stopHeartbeatAcks }
}
