import GatewayModel
import GatewayScenario
import Logging

/// The one path every fault takes: the control API, the Swift API, scenarios and replay's
/// re-enacted faults all end in `perform(_:on:scenario:)`.
extension GatewayServer {
    /// Performs a control action and records it in `controls` (with `args.scenario` when a scenario
    /// rule fired it).
    /// - Returns: how many connections it reached (for `dispatch`: how many got the event).
    @discardableResult
    func perform(_ action: ControlAction, on target: ControlTarget, scenario: String? = nil) -> Int {
        let session = target.session
        switch action {
        case .dispatch(let event, let data, let guildID):
            // Recorded as the control API records a dispatch, with the guild it was routed by.
            let guild = guildID.flatMap(UInt64.init) ?? data["guild_id"]?.snowflake
            record(.dispatch(event: event, data: data, guildID: guild.map(String.init)), sessionID: session.id, scenario: scenario)
            return dispatchToSession(session.id, event: event, payload: DispatchPayload(data), guild: guild, asControl: false)
        case .interaction, .restFault:
            return performWorldAction(action, session: session, scenario: scenario)
        default:
            break
        }
        record(action, sessionID: session.id, scenario: scenario)
        switch action {
        case .disconnect(let code, let reason):
            let code = GatewayCloseCode(rawValue: code)
            return send(.close(code: code, reason: reason ?? code.reason, endsSession: code.serverCloseEndsSession), to: target)
        case .stopAcks(let stop):
            session.setStopHeartbeatAcks(stop)
            return 1
        case .invalidate:
            for gateway in session.gatewaySessions { gateway.invalidate() }
            return 1
        case .reconnect:
            return send(.command(op: .reconnect, data: "null"), to: target)
        case .invalidSession(let resumable):
            if !resumable { target.gatewaySessions.forEach { $0.invalidate() } }
            return send(.command(op: .invalidSession, data: resumable ? "true" : "false"), to: target)
        case .drop:
            return send(.drop, to: target)
        case .heartbeatRequest:
            return send(.command(op: .heartbeat, data: "null"), to: target)
        case .dispatch, .interaction, .restFault:
            return 0
        }
    }

    // MARK: Seam for the REST world

    /// Performs `interaction` and `rest_fault` actions of scenarios.
    ///
    /// NOT WIRED YET: REST faults and interactions belong to the REST world. Connect them here:
    /// `.interaction(body)` is the body of `POST /api/control/sessions/{id}/interactions`, `.restFault(body)`
    /// the body of `POST .../rest-faults` (both already validated by `ControlAction(name:body:)`).
    /// Record the action like the control call, adding `"scenario": scenario` to its args when
    /// `scenario` is not nil. Until then the action is recorded with `"unavailable": true` and skipped.
    /// - Returns: how many connections got the resulting event (interaction) or faults armed (rest_fault).
    func performWorldAction(_ action: ControlAction, session: BotSession, scenario: String?) -> Int {
        logger.warning("scenario rule \(scenario ?? "?"): \(action.name) needs the REST world, which this build does not have; skipped")
        var args = action.arguments
        args["unavailable"] = true
        state.recordControl(sessionID: session.id, action: action.name, args: Self.withScenario(args, scenario))
        return 0
    }

    // MARK: Helpers

    private func record(_ action: ControlAction, sessionID: String, scenario: String?) {
        state.recordControl(sessionID: sessionID, action: action.name, args: Self.withScenario(action.arguments, scenario))
    }

    /// The control call's args with `scenario` naming the rule that fired it.
    static func withScenario(_ args: JSONValue, _ scenario: String?) -> JSONValue {
        guard let scenario else { return args }
        var args = args
        args["scenario"] = .string(scenario)
        return args
    }

    private func send(_ item: OutboundItem, to target: ControlTarget) -> Int {
        switch target {
        case .session(let session):
            var count = 0
            for gateway in session.gatewaySessions {
                guard let connection = gateway.connection, !connection.isClosed else { continue }
                connection.enqueue(item)
                count += 1
            }
            return count
        case .connection(let handle, _):
            guard !handle.isClosed else { return 0 }
            handle.enqueue(item)
            return 1
        case .frame(let handler, _, _):
            guard !handler.handle.isClosed else { return 0 }
            handler.write([item])
            return 1
        }
    }
}
