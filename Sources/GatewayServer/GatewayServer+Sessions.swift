import GatewayModel
import NIOCore

/// Sessions: create, list, show, delete.
extension GatewayServer {
    /// A session as the control API lists it.
    public struct SessionSummary: Sendable, Equatable {
        public var id: String
        public var name: String?
        /// Open gateway connections.
        public var connections: Int
    }

    /// One connection (or resumable gateway session) of a session.
    public struct ConnectionSummary: Sendable, Equatable {
        public var gatewaySessionID: String?
        public var shard: [Int]?
        public var seq: Int64
        public var intents: UInt64?
        public var identified: Bool
        public var open: Bool
        public var query: String
        public var compress: String?
    }

    /// Creates a session (one bot under test).
    /// - Parameters:
    ///   - name: a label for listings.
    ///   - token: the bot token; a Discord-shaped one is made when `nil`.
    ///   - fixture: the session's world; the server's fixture when `nil`.
    /// - Returns: the session id and its token.
    /// - Throws: `GatewayServerError.tokenInUse` when another session has the token.
    public func createSession(name: String? = nil, token: String? = nil, fixture: Fixture? = nil) throws(GatewayServerError) -> (id: String, token: String) {
        do {
            let session = try state.registry.createSession(name: name, token: token, fixture: fixture ?? state.configuration.fixture)
            return (session.id, session.token)
        } catch {
            throw GatewayServerError.tokenInUse
        }
    }

    /// Every session, oldest first.
    public func sessions() -> [SessionSummary] {
        let connections = state.registry.connections.map(\.info)
        return state.registry.sessions.map { session in
            SessionSummary(id: session.id, name: session.name, connections: connections.count { $0.open && $0.sessionID == session.id })
        }
    }

    /// Whether a session exists.
    public func hasSession(_ sessionID: String) -> Bool { state.registry.session(id: sessionID) != nil }

    /// The session's name, token and gateway sessions, or `nil` when unknown.
    public func sessionDetails(_ sessionID: String) -> (name: String?, connections: [ConnectionSummary])? {
        guard let session = state.registry.session(id: sessionID) else { return nil }
        let connections = session.gatewaySessions.map { gateway -> ConnectionSummary in
            let handle = gateway.connection
            let info = handle?.info
            return ConnectionSummary(
                gatewaySessionID: gateway.id, shard: gateway.shard.map { [$0.id, $0.count] }, seq: gateway.seq,
                intents: gateway.intents.rawValue, identified: true, open: info?.open ?? false, query: handle?.query ?? "",
                compress: handle?.compression)
        }
        return (session.name, connections)
    }

    /// Closes a session's connections with 1000 and forgets it.
    /// - Returns: whether the session existed.
    @discardableResult
    public func deleteSession(_ sessionID: String) -> Bool {
        guard let session = state.registry.removeSession(id: sessionID) else { return false }
        session.arm(nil)?.stop()
        for gateway in session.removeAllGatewaySessions() {
            gateway.invalidate()
            gateway.connection?.enqueue(.close(code: .normal, reason: "Session deleted", endsSession: true))
        }
        return true
    }
}

/// Errors of the Swift API.
public struct GatewayServerError: Error, Equatable, CustomStringConvertible {
    private enum Code: Equatable { case tokenInUse }
    private let code: Code

    /// Another session already uses the token.
    public static let tokenInUse = GatewayServerError(code: .tokenInUse)

    public var description: String {
        switch code {
        case .tokenInUse: "token: another session already uses this token"
        }
    }
}
