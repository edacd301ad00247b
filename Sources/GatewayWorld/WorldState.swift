import GatewayModel

/// A session's world as plain values: what its fixture seeded (guilds with channels, roles and
/// members, users) and what happened since (messages, reactions, pins, DM channels, interactions,
/// application commands). Every operation follows Discord's rules and returns Discord's answer and
/// the events it causes; `World` wraps it for concurrent use.
struct WorldState {
    /// Messages kept per channel (the newest).
    static let messagesPerChannel = 1_000

    struct Guild {
        /// The REST guild object (no channels, members or gateway-only fields).
        var object: JSONValue
        var roleOrder: [UInt64]
        var roles: [UInt64: JSONValue]
        /// Member objects (with `user`), by user id.
        var members: [UInt64: JSONValue]
        var channelOrder: [UInt64]
    }

    /// One channel's messages, oldest first, with pins and reactions.
    struct ChannelLog {
        var ids: [UInt64] = []
        var messages: [UInt64: JSONValue] = [:]
        /// Pinned message ids, newest pin first, with when they were pinned (Unix ms).
        var pins: [(id: UInt64, at: UInt64)] = []
        /// Who reacted with what: message id → emoji key → user ids in reaction order.
        var reactions: [UInt64: [String: [UInt64]]] = [:]
    }

    let clock: any WorldClock
    var botUser: JSONValue
    let botID: UInt64
    var application: JSONValue
    let applicationID: UInt64
    var guilds: [UInt64: Guild] = [:]
    var guildOrder: [UInt64] = []
    /// Every channel by id (guild channels carry `guild_id`; DM channels type 1).
    var channels: [UInt64: JSONValue] = [:]
    var users: [UInt64: JSONValue] = [:]
    var logs: [UInt64: ChannelLog] = [:]
    var dmChannels: [UInt64: UInt64] = [:]
    var interactions: [UInt64: Interaction] = [:]
    var interactionsByToken: [String: UInt64] = [:]
    /// Application commands: global under nil, guild commands under the guild id.
    var commands: [UInt64?: [JSONValue]] = [:]
    private var lastSnowflake: UInt64 = 0

    init(fixture: Fixture, clock: any WorldClock) {
        self.clock = clock
        botUser = fixture.user
        botID = fixture.user["id"]?.snowflake ?? 0
        application = fixture.application
        applicationID = fixture.application["id"]?.snowflake ?? botID
        users[botID] = fixture.user
        for guild in fixture.guilds { seed(guild) }
    }

    private mutating func seed(_ guild: JSONValue) {
        guard let id = guild["id"]?.snowflake else { return }
        var object = guild
        for key in ["channels", "members", "presences", "voice_states", "threads", "stage_instances", "guild_scheduled_events",
            "soundboard_sounds", "joined_at", "large", "unavailable", "member_count"]
        {
            object[key] = nil
        }
        var record = Guild(object: object, roleOrder: [], roles: [:], members: [:], channelOrder: [])
        for role in guild["roles"]?.arrayValue ?? [] {
            guard let roleID = role["id"]?.snowflake else { continue }
            record.roleOrder.append(roleID)
            record.roles[roleID] = role
        }
        for member in guild["members"]?.arrayValue ?? [] {
            guard let user = member["user"], let userID = user["id"]?.snowflake else { continue }
            record.members[userID] = member
            if users[userID] == nil { users[userID] = user }
        }
        for var channel in guild["channels"]?.arrayValue ?? [] {
            guard let channelID = channel["id"]?.snowflake else { continue }
            channel["guild_id"] = .string(String(id))
            record.channelOrder.append(channelID)
            channels[channelID] = channel
        }
        guilds[id] = record
        guildOrder.append(id)
    }

    // MARK: Ids and time

    var now: UInt64 { clock.nowMilliseconds() }

    /// A new snowflake from the clock, greater than every one made before.
    mutating func nextSnowflake() -> UInt64 {
        let candidate = Snowflake.make(milliseconds: now, increment: 0)
        lastSnowflake = max(candidate, lastSnowflake + 1)
        return lastSnowflake
    }

    var timestamp: String { Snowflake.iso8601(milliseconds: now) }

    // MARK: Lookups

    func channel(_ id: UInt64) throws(RESTError) -> JSONValue {
        guard let channel = channels[id] else { throw .unknownChannel }
        return channel
    }

    func guildID(ofChannel id: UInt64) -> UInt64? { channels[id]?["guild_id"]?.snowflake }

    func guild(_ id: UInt64) throws(RESTError) -> Guild {
        guard let guild = guilds[id] else { throw .unknownGuild }
        return guild
    }

    func member(_ userID: UInt64, in guildID: UInt64) throws(RESTError) -> JSONValue {
        guard let member = try guild(guildID).members[userID] else { throw .unknownMember }
        return member
    }

    func message(_ id: UInt64, in channelID: UInt64) throws(RESTError) -> JSONValue {
        _ = try channel(channelID)
        guard let message = logs[channelID]?.messages[id] else { throw .unknownMessage }
        return message
    }

    /// The member object a gateway event carries for a guild message's author (without `user`).
    func eventMember(_ userID: UInt64, guildID: UInt64?) -> JSONValue? {
        guard let guildID, var member = guilds[guildID]?.members[userID] else { return nil }
        member["user"] = nil
        return member
    }

    // MARK: Storing messages

    /// Stores a message (REST form) at its place in the channel, keeping the newest `messagesPerChannel`.
    mutating func store(_ message: JSONValue, channelID: UInt64) {
        guard let id = message["id"]?.snowflake else { return }
        // Taken out of the dictionary (not copied), so appending does not copy the channel's arrays.
        var log = logs.removeValue(forKey: channelID) ?? ChannelLog()
        if log.messages[id] == nil {
            if let last = log.ids.last, id < last {
                let index = log.ids.firstIndex { $0 > id } ?? log.ids.endIndex
                log.ids.insert(id, at: index)
            } else {
                log.ids.append(id)
            }
            if log.ids.count > Self.messagesPerChannel {
                let dropped = log.ids.removeFirst()
                log.messages[dropped] = nil
                log.reactions[dropped] = nil
                log.pins.removeAll { $0.id == dropped }
            }
        }
        log.messages[id] = message
        logs[channelID] = log
        if var channel = channels[channelID], id >= (channel["last_message_id"]?.snowflake ?? 0) {
            channel["last_message_id"] = .string(String(id))
            channels[channelID] = channel
        }
    }

    mutating func removeMessage(_ id: UInt64, channelID: UInt64) {
        guard logs[channelID]?.messages[id] != nil, var log = logs.removeValue(forKey: channelID) else { return }
        log.messages[id] = nil
        log.ids.removeAll { $0 == id }
        log.reactions[id] = nil
        log.pins.removeAll { $0.id == id }
        logs[channelID] = log
    }

    /// What the gateway form of a stored message adds to it: `guild_id` and the author's `member` in
    /// guilds, and `channel_type`.
    func eventFields(_ message: JSONValue, channelID: UInt64) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["channel_type": channels[channelID]?["type"] ?? 0]
        if let guildID = guildID(ofChannel: channelID) {
            fields["guild_id"] = .string(String(guildID))
            if let authorID = message["author"]?["id"]?.snowflake, message["webhook_id"] == nil || authorID == botID,
                let member = eventMember(authorID, guildID: guildID)
            {
                fields["member"] = member
            }
        }
        return fields
    }

    /// The gateway form of a stored message (see `eventFields(_:channelID:)`).
    func eventMessage(_ message: JSONValue, channelID: UInt64) -> JSONValue {
        message.merging(.object(eventFields(message, channelID: channelID)))
    }
}
