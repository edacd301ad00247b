import GatewayModel
import GatewayScenario
import GatewayWorld
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

    // MARK: The REST world's actions

    /// Performs `interaction` (build and dispatch an INTERACTION_CREATE) and `rest_fault` (arm a REST
    /// fault) actions, recorded like the control calls with `args.scenario` when a rule fired them.
    /// - Returns: how many connections got the interaction, or 1 for an armed fault (0 when the body
    ///   could not be used: it was validated when the scenario was read, so only a world that cannot
    ///   place the interaction refuses it).
    func performWorldAction(_ action: ControlAction, session: BotSession, scenario: String?) -> Int {
        switch action {
        case .interaction(let body):
            do throws(InteractionRequestError) {
                return try createInteraction(session.id, request: body, scenario: scenario).delivered
            } catch {
                logger.warning("scenario rule \(scenario ?? "?"): interaction refused: \(error.message)")
                return 0
            }
        case .restFault(let body):
            do throws(RESTFault.BodyError) {
                let fault = try RESTFault(body: body)
                addRESTFault(session.id, fault, scenario: scenario)
                return 1
            } catch {
                logger.warning("scenario rule \(scenario ?? "?"): rest_fault refused: \(error.message)")
                return 0
            }
        default:
            return 0
        }
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
