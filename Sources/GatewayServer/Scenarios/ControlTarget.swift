import GatewayModel

/// Which connections a control action goes to.
///
/// Unchecked `Sendable`: a `.frame` target is used only on its connection's event loop, while the
/// frame is handled; steps that run later (after a `wait_ms`) get `deferred`, which has none.
enum ControlTarget: @unchecked Sendable {
    /// Every open connection of the session (the control API, the Swift API, timer rules).
    case session(BotSession)
    /// One connection: items are queued after what it already has (a rule on READY or RESUMED, or
    /// the steps after a `wait_ms`).
    case connection(ConnectionHandle, BotSession)
    /// The connection whose frame is being handled, on its event loop: items are written at once,
    /// before the frame's answer. `gateway` is the gateway session the frame concerns (the one a
    /// RESUME names, before it is attached).
    case frame(GatewayConnectionHandler, BotSession, gateway: GatewaySession?)

    var session: BotSession {
        switch self {
        case .session(let session), .connection(_, let session), .frame(_, let session, _): session
        }
    }

    /// The target for steps after a `wait_ms`: the frame's answer has gone by then.
    var deferred: ControlTarget {
        if case .frame(let handler, let session, _) = self { .connection(handler.handle, session) } else { self }
    }

    /// Whether the target is one connection (whose answer an action can replace).
    var isConnection: Bool {
        if case .session = self { false } else { true }
    }

    /// The gateway sessions an op 9 `d: false` invalidates: the session's, or the target connection's.
    var gatewaySessions: [GatewaySession] {
        switch self {
        case .session(let session): session.gatewaySessions
        case .connection(let handle, let session): session.gatewaySessions.filter { $0.connection === handle }
        case .frame(let handler, _, let gateway): [gateway ?? handler.gatewaySession].compactMap { $0 }
        }
    }
}
