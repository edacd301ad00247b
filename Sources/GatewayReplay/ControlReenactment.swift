import GatewayModel
import GatewayServer

/// Maps a recorded `controls` row back onto the server operation that made it.
enum ControlReenactment {
    static func perform(action: String, args: JSONValue, sessionID: String, server: GatewayServer, pacing: ReplayScheduler<ContinuousClock>.Pacing) {
        switch action {
        case "stop_acks":
            if args["cleared"] == true {
                server.clearControlFlags(sessionID)
            } else {
                server.setStopHeartbeatAcks(sessionID, stop: args["stop"]?.boolValue ?? true)
            }
        case "disconnect":
            let code = args["code"]?.int64Value.flatMap { UInt16(exactly: $0) } ?? 4000
            server.disconnectSession(sessionID, closeCode: code, reason: args["reason"]?.stringValue)
        case "invalidate":
            server.invalidateSession(sessionID)
        case "reconnect":
            server.sendReconnect(sessionID)
        case "invalid_session":
            server.sendInvalidSession(sessionID, resumable: args["resumable"]?.boolValue ?? false)
        case "heartbeat_request":
            server.requestHeartbeat(sessionID)
        case "drop":
            server.dropConnections(sessionID)
        case "heartbeat_interval":
            guard let interval = args["interval"]?.int64Value else { return }
            if case .speed(let factor) = pacing {
                server.heartbeatInterval = max(1_000, Int(Double(interval) / factor))
            }
        default:
            break
        }
    }
}
