import GatewayModel

/// Messages: create, fetch, history, edit, delete, bulk delete, typing and pins (PROTOCOL §2.2, §2.4).
extension WorldState {
    /// Who a message is from: the bot itself, or the application answering an interaction.
    struct Author {
        var user: JSONValue
        /// Interaction responses and follow-ups: `webhook_id`, `application_id`, `interaction_metadata`, type 20.
        var interaction: Interaction?
    }

    /// The message object a body creates (not stored).
    mutating func makeMessage(_ body: MessageBody, channelID: UInt64, author: Author) throws(RESTError) -> JSONValue {
        let id = nextSnowflake()
        var message: JSONValue = [
            "id": .string(String(id)), "channel_id": .string(String(channelID)), "author": author.user,
            "content": .string(body.content ?? ""), "timestamp": .string(timestamp), "edited_timestamp": nil,
            "tts": .bool(body.tts), "mention_everyone": .bool(Self.mentionsEveryone(body.content ?? "")),
            "mentions": .array(mentionedUsers(in: body.content ?? "")), "mention_roles": .array(mentionedRoles(in: body.content ?? "")),
            "attachments": .array(body.attachmentObjects(channelID: channelID) { nextSnowflake() }),
            "embeds": .array(body.embeds ?? []), "pinned": false, "type": 0, "flags": .int(body.flags ?? 0),
            "components": .array(body.components ?? []),
        ]
        if let nonce = body.nonce { message["nonce"] = nonce }
        if let reference = body.reference {
            let targetChannel = reference["channel_id"]?.snowflake ?? channelID
            if let targetID = reference["message_id"]?.snowflake, let target = logs[targetChannel]?.messages[targetID] {
                var normalized: JSONValue = [
                    "type": 0, "message_id": .string(String(targetID)), "channel_id": .string(String(targetChannel)),
                ]
                if let guildID = guildID(ofChannel: targetChannel) { normalized["guild_id"] = .string(String(guildID)) }
                message["type"] = 19
                message["message_reference"] = normalized
                message["referenced_message"] = target
            } else if reference["fail_if_not_exists"]?.boolValue != false {
                throw .invalidFormBody("message_reference", code: "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", message: "Unknown message")
            }
        }
        if let interaction = author.interaction {
            message["type"] = interaction.type == 2 ? 20 : 19
            message["webhook_id"] = .string(String(applicationID))
            message["application_id"] = .string(String(applicationID))
            message["interaction_metadata"] = interaction.metadata
        }
        return message
    }

    private static func mentionsEveryone(_ content: String) -> Bool {
        content.utf8.contains(UInt8(ascii: "@")) && content.contains("@everyone")
    }

    private func mentionedUsers(in content: String) -> [JSONValue] {
        mentions(in: content, prefixes: ["<@!", "<@"]).compactMap { users[$0] }
    }

    private func mentionedRoles(in content: String) -> [JSONValue] {
        mentions(in: content, prefixes: ["<@&"]).map { .string(String($0)) }
    }

    /// Ids in `<@id>`-style mentions with one of the prefixes.
    private func mentions(in content: String, prefixes: [String]) -> [UInt64] {
        // A byte scan first: `String.contains(_:)` of a substring is slow, and most messages mention no one.
        guard content.utf8.contains(UInt8(ascii: "<")), content.contains("<@") else { return [] }
        var found: [UInt64] = []
        var rest = Substring(content)
        while let start = rest.firstIndex(of: "<") {
            rest = rest[start...]
            guard let prefix = prefixes.first(where: { rest.hasPrefix($0) }) else { rest = rest.dropFirst(); continue }
            let digits = rest.dropFirst(prefix.count).prefix { $0.isNumber }
            if let id = UInt64(digits), rest.dropFirst(prefix.count + digits.count).first == ">", !found.contains(id) { found.append(id) }
            rest = rest.dropFirst()
        }
        return found
    }

    /// Stores a new message and returns the MESSAGE_CREATE it causes. `answered`: the message is also
    /// the call's answer (the server then writes the event's JSON from the answer's).
    mutating func post(_ message: JSONValue, channelID: UInt64, ephemeral: Bool = false, answered: Bool = false) -> WorldEvent {
        store(message, channelID: channelID)
        var fields = eventFields(message, channelID: channelID)
        if ephemeral {
            fields["guild_id"] = nil
            fields["member"] = nil
        }
        return WorldEvent(
            name: "MESSAGE_CREATE", data: message.merging(.object(fields)), guildID: ephemeral ? nil : guildID(ofChannel: channelID),
            addedToAnswer: answered ? fields : nil)
    }

    /// `POST /channels/{channel.id}/messages`.
    mutating func createMessage(channelID: UInt64, body: JSONValue, files: [UploadedFile]) throws(RESTError) -> WorldAnswer {
        _ = try channel(channelID)
        let parsed = try MessageBody(body, files: files)
        guard !parsed.isEmpty else { throw .emptyMessage }
        if body["enforce_nonce"]?.boolValue == true, let nonce = parsed.nonce,
            let existing = logs[channelID]?.messages.values.first(where: { $0["nonce"] == nonce && $0["author"]?["id"]?.snowflake == botID })
        {
            return .ok(existing)
        }
        let message = try makeMessage(parsed, channelID: channelID, author: Author(user: botUser))
        return .ok(message, events: [post(message, channelID: channelID, answered: true)])
    }

    /// `GET /channels/{channel.id}/messages/{message.id}`.
    func getMessage(channelID: UInt64, messageID: UInt64) throws(RESTError) -> WorldAnswer {
        .ok(try message(messageID, in: channelID))
    }

    /// `GET /channels/{channel.id}/messages?limit&before&after&around`: newest first.
    func messages(channelID: UInt64, limit: Int?, before: UInt64?, after: UInt64?, around: UInt64?) throws(RESTError) -> WorldAnswer {
        _ = try channel(channelID)
        let limit = limit ?? 50
        guard (1...100).contains(limit) else {
            throw .invalidFormBody("limit", code: limit < 1 ? "NUMBER_TYPE_MIN" : "NUMBER_TYPE_MAX",
                message: limit < 1 ? "int value should be greater than or equal to 1." : "int value should be less than or equal to 100.")
        }
        let log = logs[channelID] ?? ChannelLog()
        let ids = log.ids
        var chosen: ArraySlice<UInt64>
        if let around {
            let pivot = ids.firstIndex { $0 >= around } ?? ids.endIndex
            let includesPivot = pivot < ids.endIndex && ids[pivot] == around
            let newer = (limit - (includesPivot ? 1 : 0)) / 2
            let older = limit - newer - (includesPivot ? 1 : 0)
            let lower = max(ids.startIndex, pivot - older)
            let upper = min(ids.endIndex, pivot + (includesPivot ? 1 : 0) + newer)
            chosen = ids[lower..<upper]
        } else if let after {
            chosen = ids.drop { $0 <= after }.prefix(limit)
        } else {
            let before = before ?? .max
            chosen = ids.prefix { $0 < before }.suffix(limit)
        }
        return .ok(.array(chosen.reversed().compactMap { log.messages[$0] }))
    }

    /// `PATCH /channels/{channel.id}/messages/{message.id}`: only the author edits.
    mutating func editMessage(channelID: UInt64, messageID: UInt64, body: JSONValue, files: [UploadedFile], prefix: String = "")
        throws(RESTError) -> WorldAnswer
    {
        var message = try message(messageID, in: channelID)
        guard message["author"]?["id"]?.snowflake == botID else { throw .otherUsersMessage }
        let parsed = try MessageBody(body, files: files, prefix: prefix)
        if let content = parsed.content { message["content"] = .string(content) }
        if let embeds = parsed.embeds { message["embeds"] = .array(embeds) }
        if let components = parsed.components { message["components"] = .array(components) }
        if let flags = parsed.flags { message["flags"] = .int(flags) }
        if parsed.attachments != nil || !files.isEmpty {
            let kept = (message["attachments"]?.arrayValue ?? []).filter { attachment in
                parsed.attachments?.contains { $0["id"]?.stringValue == attachment["id"]?.stringValue } ?? true
            }
            message["attachments"] = .array(kept + parsed.attachmentObjects(channelID: channelID) { nextSnowflake() })
        }
        message["edited_timestamp"] = .string(timestamp)
        store(message, channelID: channelID)
        let event = WorldEvent(name: "MESSAGE_UPDATE", data: eventMessage(message, channelID: channelID), guildID: guildID(ofChannel: channelID))
        return .ok(message, events: [event])
    }

    /// Replaces a message that an interaction owns (a deferred message being completed).
    mutating func replace(_ message: JSONValue, channelID: UInt64) -> WorldEvent {
        store(message, channelID: channelID)
        return WorldEvent(name: "MESSAGE_UPDATE", data: eventMessage(message, channelID: channelID), guildID: guildID(ofChannel: channelID))
    }

    /// `DELETE /channels/{channel.id}/messages/{message.id}`.
    mutating func deleteMessage(channelID: UInt64, messageID: UInt64) throws(RESTError) -> WorldAnswer {
        _ = try message(messageID, in: channelID)
        removeMessage(messageID, channelID: channelID)
        var data: JSONValue = ["id": .string(String(messageID)), "channel_id": .string(String(channelID))]
        let guildID = guildID(ofChannel: channelID)
        if let guildID { data["guild_id"] = .string(String(guildID)) }
        return .noContent(events: [WorldEvent(name: "MESSAGE_DELETE", data: data, guildID: guildID)])
    }

    /// `POST /channels/{channel.id}/messages/bulk-delete {messages}`: 2 to 100 ids, guild channels only.
    mutating func bulkDelete(channelID: UInt64, body: JSONValue) throws(RESTError) -> WorldAnswer {
        _ = try channel(channelID)
        guard let guildID = guildID(ofChannel: channelID) else {
            throw RESTError(status: 403, code: 50003, message: "Cannot execute action on a DM channel")
        }
        guard let list = body["messages"]?.arrayValue else { throw .invalidFormBody("messages", code: "BASE_TYPE_REQUIRED", message: "This field is required") }
        guard list.count >= 2 else { throw .invalidFormBody("messages", code: "BASE_TYPE_MIN_LENGTH", message: "Must be 2 or more in length.") }
        guard list.count <= 100 else { throw .invalidFormBody("messages", code: "BASE_TYPE_MAX_LENGTH", message: "Must be 100 or fewer in length.") }
        var ids: [JSONValue] = []
        for (index, item) in list.enumerated() {
            guard let id = item.snowflake else { throw .wrongType("messages.\(index)", expected: "a snowflake") }
            guard logs[channelID]?.messages[id] != nil else { continue }
            removeMessage(id, channelID: channelID)
            ids.append(.string(String(id)))
        }
        let data: JSONValue = ["ids": .array(ids), "channel_id": .string(String(channelID)), "guild_id": .string(String(guildID))]
        return .noContent(events: ids.isEmpty ? [] : [WorldEvent(name: "MESSAGE_DELETE_BULK", data: data, guildID: guildID)])
    }

    /// `POST /channels/{channel.id}/typing`.
    func triggerTyping(channelID: UInt64) throws(RESTError) -> WorldAnswer {
        _ = try channel(channelID)
        let guildID = guildID(ofChannel: channelID)
        var data: JSONValue = ["channel_id": .string(String(channelID)), "user_id": .string(String(botID)), "timestamp": .int(Int64(now / 1_000))]
        if let guildID {
            data["guild_id"] = .string(String(guildID))
            if var member = guilds[guildID]?.members[botID] {
                member["user"] = botUser
                data["member"] = member
            }
        }
        return .noContent(events: [WorldEvent(name: "TYPING_START", data: data, guildID: guildID)])
    }

    // MARK: Pins

    /// `PUT .../pins/{message.id}`.
    mutating func pin(channelID: UInt64, messageID: UInt64) throws(RESTError) -> WorldAnswer {
        var message = try message(messageID, in: channelID)
        guard message["pinned"]?.boolValue != true else { return .noContent() }
        message["pinned"] = true
        store(message, channelID: channelID)
        let pinnedAt = now
        logs[channelID]?.pins.insert((messageID, pinnedAt), at: 0)
        return .noContent(events: [pinsUpdate(channelID: channelID)])
    }

    /// `DELETE .../pins/{message.id}`.
    mutating func unpin(channelID: UInt64, messageID: UInt64) throws(RESTError) -> WorldAnswer {
        var message = try message(messageID, in: channelID)
        guard message["pinned"]?.boolValue == true else { return .noContent() }
        message["pinned"] = false
        store(message, channelID: channelID)
        logs[channelID]?.pins.removeAll { $0.id == messageID }
        return .noContent(events: [pinsUpdate(channelID: channelID)])
    }

    private func pinsUpdate(channelID: UInt64) -> WorldEvent {
        let last = logs[channelID]?.pins.first.map { JSONValue.string(Snowflake.iso8601(milliseconds: $0.at)) } ?? .null
        var data: JSONValue = ["channel_id": .string(String(channelID)), "last_pin_timestamp": last]
        let guildID = guildID(ofChannel: channelID)
        if let guildID { data["guild_id"] = .string(String(guildID)) }
        return WorldEvent(name: "CHANNEL_PINS_UPDATE", data: data, guildID: guildID)
    }

    /// `GET /channels/{channel.id}/messages/pins` (`{items, has_more}`) or the older `/pins` (messages).
    func pins(channelID: UInt64, legacy: Bool) throws(RESTError) -> WorldAnswer {
        _ = try channel(channelID)
        let log = logs[channelID] ?? ChannelLog()
        let pinned = log.pins.compactMap { pin in log.messages[pin.id].map { (message: $0, at: pin.at) } }
        if legacy { return .ok(.array(pinned.map(\.message))) }
        let items = pinned.map { JSONValue.object(["pinned_at": .string(Snowflake.iso8601(milliseconds: $0.at)), "message": $0.message]) }
        return .ok(["items": .array(items), "has_more": false])
    }
}
