import GatewayModel

/// A gateway event the world sends as the consequence of a REST action (PROTOCOL §2.4), routed by
/// the server like any dispatch (intents, shards).
public struct WorldEvent: Equatable, Sendable {
    /// The dispatch name, e.g. `MESSAGE_CREATE`.
    public var name: String
    /// The event's `d`.
    public var data: JSONValue
    /// The guild for shard routing, nil for DMs.
    public var guildID: UInt64?
    /// When `data` is the answer's body plus these fields (the MESSAGE_CREATE of a created message):
    /// the server then writes the event's JSON from the answer's, so the message is encoded once.
    public var addedToAnswer: [String: JSONValue]?

    public init(name: String, data: JSONValue, guildID: UInt64?, addedToAnswer: [String: JSONValue]? = nil) {
        self.name = name; self.data = data; self.guildID = guildID; self.addedToAnswer = addedToAnswer
    }
}

/// What a world operation answers: 200 with a body, or 204 without one, and the events it causes.
public struct WorldAnswer: Equatable, Sendable {
    public var status: Int
    public var body: JSONValue?
    public var events: [WorldEvent]

    public init(status: Int = 200, body: JSONValue?, events: [WorldEvent] = []) {
        self.status = status; self.body = body; self.events = events
    }

    /// 200 with a body.
    public static func ok(_ body: JSONValue, events: [WorldEvent] = []) -> WorldAnswer { WorldAnswer(body: body, events: events) }
    /// 204, no body.
    public static func noContent(events: [WorldEvent] = []) -> WorldAnswer { WorldAnswer(status: 204, body: nil, events: events) }
}
