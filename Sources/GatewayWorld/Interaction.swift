import GatewayModel

/// An interaction the world dispatched (INTERACTION_CREATE) and what the bot answered.
public struct Interaction: Equatable, Sendable {
    /// Where an interaction is in its life (the control API's `state`).
    public enum State: String, Sendable {
        /// No callback yet (`expired` once the 3 s have passed).
        case pending
        case expired
        /// After callback type 5 or 6, until the original message is edited.
        case deferred
        /// After any other callback, or once a deferred original was edited.
        case responded
    }

    public var id: UInt64
    public var token: String
    /// 2 application command, 3 component, 4 autocomplete, 5 modal submit.
    public var type: Int64
    public var channelID: UInt64
    public var guildID: UInt64?
    /// The invoking user.
    public var user: JSONValue
    /// The command's name (`data.name`), if any.
    public var name: String?
    /// Unix ms of INTERACTION_CREATE.
    public var createdAt: UInt64
    /// The message a component interaction is attached to.
    public var messageID: UInt64?
    public var acknowledged = false
    public var deferred = false
    public var responseType: Int64?
    /// The callback's body.
    public var response: JSONValue?
    public var originalMessageID: UInt64?
    /// The original is a type 5 "thinking" message not completed yet.
    public var loading = false
    public var followups: [UInt64] = []

    /// `interaction_metadata` of the messages it creates.
    var metadata: JSONValue {
        var metadata: JSONValue = [
            "id": .string(String(id)), "type": .int(type), "user": user,
            "authorizing_integration_owners": owners,
        ]
        if let name { metadata["name"] = .string(name) }
        if let originalMessageID { metadata["original_response_message_id"] = .string(String(originalMessageID)) }
        return metadata
    }

    var owners: JSONValue {
        if let guildID { return ["0": .string(String(guildID))] }
        return ["1": user["id"] ?? .null]
    }

    /// The control API's state at `now` (Unix ms), with `window` ms for the first callback.
    public func state(now: UInt64, window: UInt64) -> State {
        if !acknowledged { return now &- createdAt > window ? .expired : .pending }
        return deferred ? .deferred : .responded
    }
}
