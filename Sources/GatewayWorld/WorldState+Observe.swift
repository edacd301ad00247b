import GatewayModel

/// Events dispatched to the bot (through the control API, the Swift API or a replay) change the
/// world too, so the bot can fetch, react to and reply to a message a test sent.
extension WorldState {
    /// The events that change the world.
    static let observedEvents: Set<String> = [
        "MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK", "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE", "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
    ]

    /// Applies one dispatched event.
    mutating func observe(event: String, data: JSONValue) {
        let channelID = data["channel_id"]?.snowflake
        switch event {
        case "MESSAGE_CREATE", "MESSAGE_UPDATE":
            guard let channelID, let id = data["id"]?.snowflake else { return }
            var message = data
            message["guild_id"] = nil
            message["member"] = nil
            message["channel_type"] = nil
            if let author = data["author"], let authorID = author["id"]?.snowflake {
                if users[authorID] == nil { users[authorID] = author }
                if data["guild_id"] == nil { adoptDM(channelID: channelID, with: author) }
            }
            if channels[channelID] == nil, let guildID = data["guild_id"]?.snowflake {
                channels[channelID] = ["id": .string(String(channelID)), "type": 0, "guild_id": .string(String(guildID)), "name": "unknown"]
            }
            if event == "MESSAGE_UPDATE", let existing = logs[channelID]?.messages[id] { message = existing.merging(message) }
            store(message, channelID: channelID)
        case "MESSAGE_DELETE":
            if let channelID, let id = data["id"]?.snowflake { removeMessage(id, channelID: channelID) }
        case "MESSAGE_DELETE_BULK":
            guard let channelID else { return }
            for id in data["ids"]?.arrayValue ?? [] { if let id = id.snowflake { removeMessage(id, channelID: channelID) } }
        case "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE":
            guard let channelID, let messageID = data["message_id"]?.snowflake, let user = data["user_id"]?.snowflake,
                let emoji = Emoji(json: data["emoji"])
            else { return }
            _ = setReaction(emoji, user: user, on: messageID, channelID: channelID, present: event == "MESSAGE_REACTION_ADD")
        case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE":
            guard let guildID = data["guild_id"]?.snowflake, guilds[guildID] != nil, let user = data["user"],
                let userID = user["id"]?.snowflake
            else { return }
            var member = guilds[guildID]?.members[userID] ?? [:]
            member = member.merging(data)
            member["guild_id"] = nil
            guilds[guildID]?.members[userID] = member
            users[userID] = user
        case "GUILD_MEMBER_REMOVE":
            guard let guildID = data["guild_id"]?.snowflake, let userID = data["user"]?["id"]?.snowflake else { return }
            guilds[guildID]?.members[userID] = nil
        case "CHANNEL_CREATE", "CHANNEL_UPDATE":
            guard let id = data["id"]?.snowflake else { return }
            let isNew = channels[id] == nil
            channels[id] = (channels[id] ?? [:]).merging(data)
            if isNew, let guildID = data["guild_id"]?.snowflake { guilds[guildID]?.channelOrder.append(id) }
        default:
            break
        }
    }
}
