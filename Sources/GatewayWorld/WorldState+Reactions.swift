import GatewayModel

/// Reactions (PROTOCOL §2.2): the bot's own add / remove, the list of who reacted, and the
/// message's `reactions` counts.
extension WorldState {
    /// An emoji from a path segment: unicode (`👍`), or custom `name:id` (also `:name:id`).
    struct Emoji: Equatable {
        var name: String
        var id: UInt64?

        init(path: String) throws(RESTError) {
            let trimmed = path.hasPrefix(":") ? String(path.dropFirst()) : path
            if let colon = trimmed.lastIndex(of: ":") {
                let name = trimmed[..<colon]
                guard !name.isEmpty, let id = UInt64(trimmed[trimmed.index(after: colon)...]) else { throw .unknownEmoji }
                self.name = String(name); self.id = id
            } else {
                guard !trimmed.isEmpty, trimmed.unicodeScalars.contains(where: { !$0.isASCII }) else { throw .unknownEmoji }
                self.name = trimmed; self.id = nil
            }
        }

        init?(json: JSONValue?) {
            guard let json, let name = json["name"]?.stringValue else { return nil }
            self.name = name; self.id = json["id"]?.snowflake
        }

        var key: String { id.map { "\(name):\($0)" } ?? name }
        var json: JSONValue { ["id": id.map { .string(String($0)) } ?? .null, "name": .string(name)] }
    }

    /// Adds or removes one user's reaction; returns false when nothing changed.
    mutating func setReaction(_ emoji: Emoji, user: UInt64, on messageID: UInt64, channelID: UInt64, present: Bool) -> Bool {
        guard var message = logs[channelID]?.messages[messageID] else { return false }
        var users = logs[channelID]?.reactions[messageID]?[emoji.key] ?? []
        guard users.contains(user) != present else { return false }
        if present { users.append(user) } else { users.removeAll { $0 == user } }
        logs[channelID]?.reactions[messageID, default: [:]][emoji.key] = users.isEmpty ? nil : users

        var reactions = message["reactions"]?.arrayValue ?? []
        let index = reactions.firstIndex { Emoji(json: $0["emoji"]) == emoji }
        if users.isEmpty {
            if let index { reactions.remove(at: index) }
        } else {
            let count = JSONValue.int(Int64(users.count))
            let reaction: JSONValue = [
                "count": count, "count_details": ["burst": 0, "normal": count], "me": .bool(users.contains(botID)),
                "me_burst": false, "burst_colors": [], "emoji": emoji.json,
            ]
            if let index { reactions[index] = reaction } else { reactions.append(reaction) }
        }
        message["reactions"] = reactions.isEmpty ? nil : .array(reactions)
        store(message, channelID: channelID)
        return true
    }

    /// `PUT /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me` (204).
    mutating func addOwnReaction(channelID: UInt64, messageID: UInt64, emoji path: String) throws(RESTError) -> WorldAnswer {
        let message = try message(messageID, in: channelID)
        let emoji = try Emoji(path: path)
        guard setReaction(emoji, user: botID, on: messageID, channelID: channelID, present: true) else { return .noContent() }
        var data = reactionEvent(emoji, channelID: channelID, messageID: messageID)
        data["message_author_id"] = message["author"]?["id"]
        if let guildID = guildID(ofChannel: channelID), var member = guilds[guildID]?.members[botID] {
            member["user"] = botUser
            data["member"] = member
        }
        return .noContent(events: [WorldEvent(name: "MESSAGE_REACTION_ADD", data: data, guildID: guildID(ofChannel: channelID))])
    }

    /// `DELETE .../reactions/{emoji}/@me` (204).
    mutating func removeOwnReaction(channelID: UInt64, messageID: UInt64, emoji path: String) throws(RESTError) -> WorldAnswer {
        _ = try message(messageID, in: channelID)
        let emoji = try Emoji(path: path)
        guard setReaction(emoji, user: botID, on: messageID, channelID: channelID, present: false) else { return .noContent() }
        let data = reactionEvent(emoji, channelID: channelID, messageID: messageID)
        return .noContent(events: [WorldEvent(name: "MESSAGE_REACTION_REMOVE", data: data, guildID: guildID(ofChannel: channelID))])
    }

    private func reactionEvent(_ emoji: Emoji, channelID: UInt64, messageID: UInt64) -> JSONValue {
        var data: JSONValue = [
            "user_id": .string(String(botID)), "channel_id": .string(String(channelID)), "message_id": .string(String(messageID)),
            "emoji": emoji.json, "burst": false, "type": 0,
        ]
        if let guildID = guildID(ofChannel: channelID) { data["guild_id"] = .string(String(guildID)) }
        return data
    }

    /// `GET .../reactions/{emoji}?limit&after`: the users who reacted.
    func reactions(channelID: UInt64, messageID: UInt64, emoji path: String, limit: Int?, after: UInt64?) throws(RESTError) -> WorldAnswer {
        _ = try message(messageID, in: channelID)
        let emoji = try Emoji(path: path)
        let limit = limit ?? 25
        guard (1...100).contains(limit) else {
            throw .invalidFormBody("limit", code: "NUMBER_TYPE_MAX", message: "int value should be between 1 and 100.")
        }
        let ids = (logs[channelID]?.reactions[messageID]?[emoji.key] ?? []).sorted().filter { $0 > (after ?? 0) }.prefix(limit)
        return .ok(.array(ids.map { users[$0] ?? ["id": .string(String($0)), "username": "unknown", "discriminator": "0", "avatar": nil] }))
    }
}
