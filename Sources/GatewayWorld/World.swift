import GatewayModel
import NIOCore
import Synchronization

/// One REST request as the world sees it: the matched route, its query and its decoded body.
public struct WorldRequest: Sendable {
    public var match: RouteMatch
    /// Query parameters, percent-decoded.
    public var query: [String: String]
    /// The JSON body (a multipart or form body's `payload_json`), `.null` when there is none.
    public var body: JSONValue
    public var files: [UploadedFile]

    public init(match: RouteMatch, query: [String: String] = [:], body: JSONValue = .null, files: [UploadedFile] = []) {
        self.match = match; self.query = query; self.body = body; self.files = files
    }
}

/// A session's world (SPEC §4): seeded from its fixture, changed by the bot's REST actions and by the
/// events dispatched to it. Thread-safe; every operation runs under one lock and never blocks.
public final class World: Sendable {
    /// Milliseconds an interaction's first callback may take (Discord: 3 s; a replay scales it).
    public let callbackWindow: UInt64
    private let fixture: Fixture
    private let clock: any WorldClock
    /// Seeded from the fixture on first use, so a session that never acts costs no copy of its fixture.
    private let state = Mutex<WorldState?>(nil)
    /// Dispatched events not applied yet: applied, in order, before the next operation, so
    /// dispatching (also a replay at full speed) never parses a payload for the world.
    private let pending = Mutex<[(event: String, data: DispatchedData)]>([])
    /// Signalled after every change a REST call or the control API makes (interaction waits).
    public let changes = ChangeNotifier()
    /// Dispatched events kept unapplied at most (the oldest are dropped: the world keeps 1,000 messages a channel anyway).
    static let pendingLimit = 10_000

    enum DispatchedData: Sendable {
        case value(JSONValue)
        case bytes(ByteBuffer)
    }

    public init(fixture: Fixture, clock: any WorldClock = SystemWorldClock(), callbackWindow: UInt64 = 3_000) {
        self.fixture = fixture
        self.clock = clock
        self.callbackWindow = callbackWindow
    }

    /// Whether a dispatched event changes the world (only those are kept for it).
    public static func observes(_ event: String) -> Bool { WorldState.observedEvents.contains(event) }

    /// Takes in a dispatched event (MESSAGE_CREATE and the like); see `observes(_:)`.
    public func observe(event: String, data: JSONValue) { enqueue(event, .value(data)) }

    /// Takes in a dispatched event given as its JSON bytes (parsed only when the world is next used).
    public func observe(event: String, bytes: ByteBuffer) { enqueue(event, .bytes(bytes)) }

    private func enqueue(_ event: String, _ data: DispatchedData) {
        guard Self.observes(event) else { return }
        pending.withLock { pending in
            if pending.count >= Self.pendingLimit { pending.removeFirst(pending.count / 2) }
            pending.append((event, data))
        }
    }

    /// Runs `body` on the state after applying pending events.
    private func withState<T, E: Error>(_ body: (inout WorldState) throws(E) -> T) throws(E) -> T {
        try state.withLock { stored throws(E) -> T in
            // Taken under the state's lock, so events are applied in dispatch order.
            let events = pending.withLock { pending in
                defer { pending.removeAll(keepingCapacity: true) }
                return pending
            }
            // Taken out (not copied) so mutating it does not copy its dictionaries.
            var state = stored.take() ?? WorldState(fixture: fixture, clock: clock)
            defer { stored = state }
            for (event, data) in events {
                let value: JSONValue?
                switch data {
                case .value(let json): value = json
                case .bytes(let buffer): value = try? JSONValue(parsing: buffer.readableBytesView)
                }
                if let value { state.observe(event: event, data: value) }
            }
            return try body(&state)
        }
    }

    private func change(_ body: (inout WorldState) throws(RESTError) -> WorldAnswer) throws(RESTError) -> WorldAnswer {
        let answer = try withState(body)
        changes.notify()
        return answer
    }

    /// The bot user, as `GET /users/@me` answers.
    public var botUser: JSONValue { withState { $0.botUser } }

    // MARK: Routes

    /// Answers one REST request (every route of `RESTRoute` except the gateway URLs, which depend on
    /// how the client reached the server).
    public func handle(_ request: WorldRequest) throws(RESTError) -> WorldAnswer {
        let match = request.match
        func id(_ name: String) throws(RESTError) -> UInt64 {
            guard let value = match[name], let id = UInt64(value) else {
                switch name {
                case "channel.id": throw .unknownChannel
                case "guild.id": throw .unknownGuild
                case "message.id": throw .unknownMessage
                case "role.id": throw .unknownRole
                case "interaction.id": throw .unknownInteraction
                case "application.id": throw .unknownWebhook
                default: throw .unknownUser
                }
            }
            return id
        }
        func number(_ name: String) throws(RESTError) -> Int? {
            guard let text = request.query[name] else { return nil }
            guard let value = Int(text) else { throw .wrongType(name, expected: "an integer") }
            return value
        }
        func snowflake(_ name: String) throws(RESTError) -> UInt64? {
            guard let text = request.query[name] else { return nil }
            guard let value = UInt64(text) else { throw .wrongType(name, expected: "a snowflake") }
            return value
        }
        func flag(_ name: String) -> Bool {
            guard let value = request.query[name]?.lowercased() else { return false }
            return value == "true" || value == "1"
        }
        let body = request.body
        let token = match["interaction.token"] ?? ""
        switch match.route {
        case .getGateway, .getGatewayBot:
            throw .unknownRoute
        case .getCurrentUser:
            return withState { .ok($0.botUser) }
        case .getOAuthApplication, .getApplication:
            return withState { .ok($0.application) }
        case .getSoundboardDefaultSounds:
            return .ok([])
        case .getGlobalCommands:
            return try withState { state throws(RESTError) in try state.getCommands(guildID: nil) }
        case .getGuildCommands:
            let guild = try id("guild.id")
            return try withState { state throws(RESTError) in try state.getCommands(guildID: guild) }
        case .putGlobalCommands:
            return try change { state throws(RESTError) in try state.putCommands(guildID: nil, body: body) }
        case .putGuildCommands:
            let guild = try id("guild.id")
            return try change { state throws(RESTError) in try state.putCommands(guildID: guild, body: body) }
        case .postGlobalCommand:
            return try change { state throws(RESTError) in try state.postCommand(guildID: nil, body: body) }
        case .postGuildCommand:
            let guild = try id("guild.id")
            return try change { state throws(RESTError) in try state.postCommand(guildID: guild, body: body) }

        case .createMessage:
            let channel = try id("channel.id")
            return try change { state throws(RESTError) in try state.createMessage(channelID: channel, body: body, files: request.files) }
        case .getMessages:
            let channel = try id("channel.id")
            let (limit, before, after, around) = (try number("limit"), try snowflake("before"), try snowflake("after"), try snowflake("around"))
            return try withState { state throws(RESTError) in
                try state.messages(channelID: channel, limit: limit, before: before, after: after, around: around)
            }
        case .getMessage:
            let (channel, message) = (try id("channel.id"), try id("message.id"))
            return try withState { state throws(RESTError) in try state.getMessage(channelID: channel, messageID: message) }
        case .editMessage:
            let (channel, message) = (try id("channel.id"), try id("message.id"))
            return try change { state throws(RESTError) in
                try state.editMessage(channelID: channel, messageID: message, body: body, files: request.files)
            }
        case .deleteMessage:
            let (channel, message) = (try id("channel.id"), try id("message.id"))
            return try change { state throws(RESTError) in try state.deleteMessage(channelID: channel, messageID: message) }
        case .bulkDeleteMessages:
            let channel = try id("channel.id")
            return try change { state throws(RESTError) in try state.bulkDelete(channelID: channel, body: body) }
        case .triggerTyping:
            let channel = try id("channel.id")
            return try withState { state throws(RESTError) in try state.triggerTyping(channelID: channel) }
        case .getPins, .getPinsLegacy:
            let channel = try id("channel.id")
            let legacy = match.route == .getPinsLegacy
            return try withState { state throws(RESTError) in try state.pins(channelID: channel, legacy: legacy) }
        case .pinMessage, .pinMessageLegacy:
            let (channel, message) = (try id("channel.id"), try id("message.id"))
            return try change { state throws(RESTError) in try state.pin(channelID: channel, messageID: message) }
        case .unpinMessage, .unpinMessageLegacy:
            let (channel, message) = (try id("channel.id"), try id("message.id"))
            return try change { state throws(RESTError) in try state.unpin(channelID: channel, messageID: message) }

        case .addOwnReaction, .removeOwnReaction:
            let (channel, message, emoji) = (try id("channel.id"), try id("message.id"), match["emoji"] ?? "")
            let add = match.route == .addOwnReaction
            return try change { state throws(RESTError) in
                add ? try state.addOwnReaction(channelID: channel, messageID: message, emoji: emoji)
                    : try state.removeOwnReaction(channelID: channel, messageID: message, emoji: emoji)
            }
        case .getReactions:
            let (channel, message, emoji) = (try id("channel.id"), try id("message.id"), match["emoji"] ?? "")
            let (limit, after) = (try number("limit"), try snowflake("after"))
            return try withState { state throws(RESTError) in
                try state.reactions(channelID: channel, messageID: message, emoji: emoji, limit: limit, after: after)
            }

        case .getChannel:
            let channel = try id("channel.id")
            return try withState { state throws(RESTError) in .ok(try state.channel(channel)) }
        case .getGuild:
            let guild = try id("guild.id")
            let counts = flag("with_counts")
            return try withState { state throws(RESTError) in try state.getGuild(guild, withCounts: counts) }
        case .getGuildChannels:
            let guild = try id("guild.id")
            return try withState { state throws(RESTError) in try state.guildChannels(guild) }
        case .getGuildRoles:
            let guild = try id("guild.id")
            return try withState { state throws(RESTError) in try state.guildRoles(guild) }
        case .getGuildMembers:
            let guild = try id("guild.id")
            let (limit, after) = (try number("limit"), try snowflake("after"))
            return try withState { state throws(RESTError) in try state.guildMembers(guild, limit: limit, after: after) }
        case .getGuildMember:
            let (guild, user) = (try id("guild.id"), try id("user.id"))
            return try withState { state throws(RESTError) in try state.guildMember(guild, user: user) }
        case .modifyGuildMember:
            let (guild, user) = (try id("guild.id"), try id("user.id"))
            return try change { state throws(RESTError) in try state.modifyMember(guild, user: user, body: body) }
        case .addMemberRole, .removeMemberRole:
            let (guild, user, role) = (try id("guild.id"), try id("user.id"), try id("role.id"))
            let add = match.route == .addMemberRole
            return try change { state throws(RESTError) in try state.setMemberRole(guild, user: user, role: role, present: add) }
        case .getUser:
            let user = try id("user.id")
            return try withState { state throws(RESTError) in try state.getUser(user) }
        case .createDM:
            return try change { state throws(RESTError) in try state.createDM(body: body) }

        case .interactionCallback:
            let interaction = try id("interaction.id")
            let withResponse = flag("with_response")
            let window = callbackWindow
            return try change { state throws(RESTError) in
                try state.callback(interactionID: interaction, token: token, body: body, files: request.files, withResponse: withResponse, window: window)
            }
        case .getOriginalResponse, .getFollowup:
            let app = try id("application.id")
            let message = match.route == .getFollowup ? try id("message.id") : nil
            return try withState { state throws(RESTError) in try state.webhookMessage(applicationID: app, token: token, messageID: message) }
        case .editOriginalResponse, .editFollowup:
            let app = try id("application.id")
            let message = match.route == .editFollowup ? try id("message.id") : nil
            return try change { state throws(RESTError) in
                try state.editWebhookMessage(applicationID: app, token: token, messageID: message, body: body, files: request.files)
            }
        case .deleteOriginalResponse, .deleteFollowup:
            let app = try id("application.id")
            let message = match.route == .deleteFollowup ? try id("message.id") : nil
            return try change { state throws(RESTError) in try state.deleteWebhookMessage(applicationID: app, token: token, messageID: message) }
        case .createFollowup:
            let app = try id("application.id")
            let wait = flag("wait")
            return try change { state throws(RESTError) in
                try state.createFollowup(applicationID: app, token: token, body: body, files: request.files, wait: wait)
            }
        }
    }

    // MARK: Control

    /// Builds an INTERACTION_CREATE (control API `POST .../interactions`); the caller dispatches the event.
    public func createInteraction(_ request: JSONValue) throws(InteractionRequestError) -> (interaction: Interaction, event: WorldEvent) {
        let created = try withState { state throws(InteractionRequestError) in try state.createInteraction(request) }
        changes.notify()
        return created
    }

    /// Takes in a recorded INTERACTION_CREATE under a fresh id and token (replay); the caller
    /// dispatches the event. Nil when the payload names no channel.
    public func adoptInteraction(_ payload: JSONValue) -> (interaction: Interaction, event: WorldEvent)? {
        let adopted = withState { $0.adoptInteraction(payload) }
        changes.notify()
        return adopted
    }

    /// Acknowledges an interaction whose callback is answered from elsewhere (a replay's recording).
    /// - Throws: 10062 after the callback window or for an unknown interaction, 40060 when already acknowledged.
    public func acknowledgeInteraction(id: UInt64, token: String, deferred: Bool) throws(RESTError) {
        let window = callbackWindow
        try withState { state throws(RESTError) in try state.acknowledge(interactionID: id, token: token, deferred: deferred, window: window) }
        changes.notify()
    }

    /// Whether an interaction token is one this world made.
    public func knowsInteractionToken(_ token: String) -> Bool { withState { $0.interactionsByToken[token] != nil } }

    /// The control API's view of an interaction, or nil when unknown.
    public func interactionStatus(_ id: UInt64) -> JSONValue? {
        let window = callbackWindow
        return withState { $0.interactionStatus(id, window: window) }
    }

    /// A channel's messages, newest first (control API), or nil for an unknown channel.
    public func channelMessages(_ channelID: UInt64) -> JSONValue? {
        try? withState { state throws(RESTError) in
            _ = try state.channel(channelID)
            let log = state.logs[channelID] ?? WorldState.ChannelLog()
            return .array(log.ids.reversed().compactMap { log.messages[$0] })
        }
    }
}
