import GatewayModel

/// Server-built dispatch payloads that depend on the connection (intents, large threshold).
enum Payloads {
    /// GUILD_CREATE for a fixture guild. Without GUILD_PRESENCES, `members` holds only the bot (as on
    /// Discord), so libraries with the members intent chunk the guild with op 8.
    static func guildCreate(_ guild: JSONValue, botUser: JSONValue, intents: GatewayIntents, largeThreshold: Int64) -> JSONValue {
        var guild = guild
        let members = guild["members"]?.arrayValue ?? []
        let memberCount = guild["member_count"]?.int64Value ?? Int64(members.count)
        guild["large"] = .bool(memberCount > largeThreshold)
        if !intents.contains(.guildPresences) || memberCount > largeThreshold {
            let botID = botUser["id"]
            guild["members"] = .array(members.filter { $0["user"]?["id"] == botID })
            guild["presences"] = []
        }
        return guild
    }

    /// MESSAGE_CREATE/UPDATE as seen without MESSAGE_CONTENT: `content`, `embeds`, `attachments`,
    /// `components` emptied and `poll` removed, unless the message is a DM, mentions the bot or is the bot's own.
    static func strippingContent(_ message: JSONValue, botUserID: String) -> JSONValue {
        guard message["guild_id"] != nil, message["guild_id"] != .null else { return message }
        if message["author"]?["id"]?.stringValue == botUserID { return message }
        if (message["mentions"]?.arrayValue ?? []).contains(where: { $0["id"]?.stringValue == botUserID }) { return message }
        guard case .object(var object) = message else { return message }
        if object["content"] != nil { object["content"] = "" }
        for key in ["embeds", "attachments", "components"] where object[key] != nil { object[key] = [] }
        object["poll"] = nil
        return .object(object)
    }
}
