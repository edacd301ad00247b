import GatewayModel
import GatewayWorld

/// The REST world's test operations (SPEC §5's interactions, actions, channel messages and rest faults).
extension GatewayServer {
    /// Builds a complete INTERACTION_CREATE from `{data: {name, type?, options?}, type?, guild_id?, channel_id?,
    /// user_id?, message_id?}` (defaults: a slash command in the first guild's first text channel from its
    /// first member) and dispatches it.
    /// - Returns: the interaction's id and token, and how many connections it was sent to.
    /// - Throws: `InteractionRequestError` naming the bad field, or for an unknown session.
    public func createInteraction(_ sessionID: String, request: JSONValue) throws(InteractionRequestError) -> (id: String, token: String, delivered: Int) {
        try createInteraction(sessionID, request: request, scenario: nil)
    }

    /// `createInteraction(_:request:)`, recorded with `args.scenario` when a scenario rule made it.
    func createInteraction(_ sessionID: String, request: JSONValue, scenario: String?) throws(InteractionRequestError)
        -> (id: String, token: String, delivered: Int)
    {
        guard let session = state.registry.session(id: sessionID) else { throw InteractionRequestError("unknown session: \(sessionID)") }
        let (interaction, event) = try session.world.createInteraction(request)
        state.registerInteractionToken(interaction.token, sessionID: sessionID)
        state.recordControl(sessionID: sessionID, action: "interaction", args: Self.withScenario(request.merging([
            "id": .string(String(interaction.id)), "token": .string(Redaction.redact(interaction.token)),
        ]), scenario))
        let delivered = dispatchToSession(sessionID, event: event.name, payload: DispatchPayload(event.data), guild: event.guildID, asControl: false)
        return (String(interaction.id), interaction.token, delivered)
    }

    /// Dispatches a recorded INTERACTION_CREATE under a fresh id and token (replay, SPEC §8), which the
    /// session's world and REST layer know from then on.
    /// - Parameter adopted: called with the fresh id and token before the event leaves.
    /// - Returns: false for an unknown session or a payload without `channel_id`.
    @discardableResult
    public func dispatchAdoptedInteraction(_ sessionID: String, payload: JSONValue, adopted: (_ id: String, _ token: String) -> Void = { _, _ in })
        -> Bool
    {
        guard let session = state.registry.session(id: sessionID), let adoption = session.world.adoptInteraction(payload) else { return false }
        let (interaction, event) = adoption
        state.registerInteractionToken(interaction.token, sessionID: sessionID)
        adopted(String(interaction.id), interaction.token)
        dispatchToSession(sessionID, event: event.name, payload: DispatchPayload(event.data), guild: event.guildID, asControl: false)
        return true
    }

    /// How an interaction token appears in recordings: `redacted:` and 12 hex digits of its SHA-256.
    public static func redactedInteractionToken(_ token: String) -> String { Redaction.redact(token) }

    /// An interaction's state: `{id, state, response_type, response, original_message, followups}`; with
    /// `waitMilliseconds`, as soon as it is no longer `pending` (or then). Nil for an unknown one.
    public func interaction(_ sessionID: String, id: String, waitMilliseconds: Int = 0) async -> JSONValue? {
        guard let world = state.registry.session(id: sessionID)?.world, let id = UInt64(id) else { return nil }
        let settled = await world.changes.wait(milliseconds: waitMilliseconds) { () -> JSONValue? in
            guard let status = world.interactionStatus(id), status["state"] != "pending" else { return nil }
            return status
        }
        return settled ?? world.interactionStatus(id)
    }

    /// The REST calls a session's bot made after `after` (an action id), of `method` and `route` (a route
    /// template, `METHOD /template`, or a path with `*`), oldest first; with `waitMilliseconds`, as soon
    /// as at least one matches (or `[]` then).
    public func actions(_ sessionID: String, after: Int64? = nil, method: String? = nil, route: String? = nil, waitMilliseconds: Int = 0) async
        -> [RESTAction]
    {
        guard let session = state.registry.session(id: sessionID) else { return [] }
        return await session.actions.list(after: after, method: method, route: route, wait: waitMilliseconds)
    }

    /// A channel's messages in a session's world, newest first; nil for an unknown session or channel.
    public func channelMessages(_ sessionID: String, channelID: String) -> JSONValue? {
        guard let id = UInt64(channelID) else { return nil }
        return state.registry.session(id: sessionID)?.world.channelMessages(id)
    }

    /// Arms a REST fault (its `id` is assigned here). Returns the fault's id, nil for an unknown session.
    @discardableResult
    public func addRESTFault(_ sessionID: String, _ fault: RESTFault) -> Int64? {
        addRESTFault(sessionID, fault, scenario: nil)
    }

    /// `addRESTFault(_:_:)`; arming is recorded as a `rest_fault` row only when a scenario rule did it
    /// (an injected answer is recorded when it is given).
    @discardableResult
    func addRESTFault(_ sessionID: String, _ fault: RESTFault, scenario: String?) -> Int64? {
        guard let session = state.registry.session(id: sessionID) else { return nil }
        var fault = fault
        fault.id = state.makeFaultID()
        session.restFaults.add(fault)
        if let scenario { state.recordControl(sessionID: sessionID, action: "rest_fault", args: Self.withScenario(fault.json, scenario)) }
        return fault.id
    }

    /// The REST faults still armed on a session.
    public func restFaults(_ sessionID: String) -> [RESTFault] { state.registry.session(id: sessionID)?.restFaults.pending ?? [] }

    /// Disarms a session's REST faults.
    public func clearRESTFaults(_ sessionID: String) { state.registry.session(id: sessionID)?.restFaults.clear() }
}
