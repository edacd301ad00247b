import GatewayModel

/// Channels, guilds, roles, members, users and DM channels (PROTOCOL §2.2).
extension WorldState {
    /// `GET /guilds/{guild.id}` (`with_counts` adds the approximate counts).
    func getGuild(_ id: UInt64, withCounts: Bool) throws(RESTError) -> WorldAnswer {
        let guild = try guild(id)
        var object = guild.object
        object["roles"] = .array(guild.roleOrder.compactMap { guild.roles[$0] })
        if withCounts {
            object["approximate_member_count"] = .int(Int64(guild.members.count))
            object["approximate_presence_count"] = 0
        }
        return .ok(object)
    }

    func guildChannels(_ id: UInt64) throws(RESTError) -> WorldAnswer {
        let guild = try guild(id)
        return .ok(.array(guild.channelOrder.compactMap { channels[$0] }))
    }

    func guildRoles(_ id: UInt64) throws(RESTError) -> WorldAnswer {
        let guild = try guild(id)
        return .ok(.array(guild.roleOrder.compactMap { guild.roles[$0] }))
    }

    /// `GET /guilds/{guild.id}/members?limit=1..1000 (1)&after`: by user id.
    func guildMembers(_ id: UInt64, limit: Int?, after: UInt64?) throws(RESTError) -> WorldAnswer {
        let guild = try guild(id)
        let limit = limit ?? 1
        guard (1...1_000).contains(limit) else {
            throw .invalidFormBody("limit", code: "NUMBER_TYPE_MAX", message: "int value should be between 1 and 1000.")
        }
        let ids = guild.members.keys.sorted().filter { $0 > (after ?? 0) }.prefix(limit)
        return .ok(.array(ids.compactMap { guild.members[$0] }))
    }

    func guildMember(_ guildID: UInt64, user: UInt64) throws(RESTError) -> WorldAnswer {
        .ok(try member(user, in: guildID))
    }

    /// `PUT` / `DELETE /guilds/{guild.id}/members/{user.id}/roles/{role.id}` (204, GUILD_MEMBER_UPDATE on change).
    mutating func setMemberRole(_ guildID: UInt64, user: UInt64, role: UInt64, present: Bool) throws(RESTError) -> WorldAnswer {
        var member = try member(user, in: guildID)
        guard guilds[guildID]?.roles[role] != nil else { throw .unknownRole }
        var roles = (member["roles"]?.arrayValue ?? []).compactMap(\.snowflake)
        guard roles.contains(role) != present else { return .noContent() }
        if present { roles.append(role) } else { roles.removeAll { $0 == role } }
        member["roles"] = .array(roles.map { .string(String($0)) })
        return .noContent(events: [update(member, user: user, guildID: guildID)])
    }

    /// `PATCH /guilds/{guild.id}/members/{user.id}`: `nick`, `roles`, `mute`, `deaf`, `communication_disabled_until`.
    mutating func modifyMember(_ guildID: UInt64, user: UInt64, body: JSONValue) throws(RESTError) -> WorldAnswer {
        var member = try member(user, in: guildID)
        if let nick = body["nick"] {
            guard nick == .null || nick.stringValue != nil else { throw .wrongType("nick", expected: "a string") }
            member["nick"] = nick
        }
        if let roles = body["roles"] {
            guard let list = roles.arrayValue else { throw .wrongType("roles", expected: "an array") }
            var ids: [JSONValue] = []
            for (index, item) in list.enumerated() {
                guard let id = item.snowflake else { throw .wrongType("roles.\(index)", expected: "a snowflake") }
                guard guilds[guildID]?.roles[id] != nil else { throw .unknownRole }
                ids.append(.string(String(id)))
            }
            member["roles"] = .array(ids)
        }
        for key in ["mute", "deaf", "communication_disabled_until"] where body[key] != nil { member[key] = body[key] }
        let event = update(member, user: user, guildID: guildID)
        return .ok(member, events: [event])
    }

    /// Stores a member and returns its GUILD_MEMBER_UPDATE.
    private mutating func update(_ member: JSONValue, user: UInt64, guildID: UInt64) -> WorldEvent {
        guilds[guildID]?.members[user] = member
        var data = member
        data["guild_id"] = .string(String(guildID))
        return WorldEvent(name: "GUILD_MEMBER_UPDATE", data: data, guildID: guildID)
    }

    func getUser(_ id: UInt64) throws(RESTError) -> WorldAnswer {
        guard let user = users[id] else { throw .unknownUser }
        return .ok(user)
    }

    /// `POST /users/@me/channels {recipient_id}`: the same DM channel each time.
    mutating func createDM(body: JSONValue) throws(RESTError) -> WorldAnswer {
        guard let value = body["recipient_id"], value != .null else {
            throw .invalidFormBody("recipient_id", code: "BASE_TYPE_REQUIRED", message: "This field is required")
        }
        guard let recipient = value.snowflake else { throw .wrongType("recipient_id", expected: "a snowflake") }
        guard let user = users[recipient] else { throw .unknownUser }
        if let existing = dmChannels[recipient], let channel = channels[existing] { return .ok(channel) }
        let id = nextSnowflake()
        let channel: JSONValue = ["id": .string(String(id)), "type": 1, "last_message_id": nil, "flags": 0, "recipients": [user]]
        channels[id] = channel
        dmChannels[recipient] = id
        return .ok(channel)
    }

    /// A DM channel with a user that messaged the bot, made when a dispatched message names an unknown channel.
    mutating func adoptDM(channelID: UInt64, with user: JSONValue) {
        guard channels[channelID] == nil else { return }
        channels[channelID] = ["id": .string(String(channelID)), "type": 1, "last_message_id": nil, "flags": 0, "recipients": [user]]
        if let userID = user["id"]?.snowflake, dmChannels[userID] == nil { dmChannels[userID] = channelID }
    }
}
