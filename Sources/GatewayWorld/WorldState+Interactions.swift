import GatewayModel

/// A control-API request for an interaction that cannot be built; `message` names the field.
public struct InteractionRequestError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Interactions (PROTOCOL §2.3): INTERACTION_CREATE built for tests, callbacks with the 3-second
/// and acknowledge-once rules, `@original` and follow-ups for 15 minutes.
extension WorldState {
    static let tokenLifetime: UInt64 = 15 * 60 * 1_000
    static let allPermissions = "2251799813685247"

    // MARK: Creating

    /// Builds a complete INTERACTION_CREATE from `{data: {name, type?, options?}, type?, guild_id?, channel_id?,
    /// user_id?, message_id?}`: by default a slash command in the first guild's first text channel from its
    /// first member that is not the bot.
    mutating func createInteraction(_ request: JSONValue) throws(InteractionRequestError) -> (Interaction, WorldEvent) {
        guard case .object = request else { throw InteractionRequestError("body: must be a JSON object") }
        let type = request["type"]?.int64Value ?? 2
        guard [2, 3, 4, 5].contains(type), request["type"]?.stringValue == nil else {
            throw InteractionRequestError("type: must be 2 (command), 3 (component), 4 (autocomplete) or 5 (modal submit)")
        }
        guard var data = request["data"], data.objectValue != nil else {
            throw InteractionRequestError("data: required, an object such as {\"name\": \"ping\"}")
        }
        if type == 2 || type == 4 {
            guard data["name"]?.stringValue?.isEmpty == false else { throw InteractionRequestError("data.name: required, the command's name") }
        } else {
            guard data["custom_id"]?.stringValue != nil else { throw InteractionRequestError("data.custom_id: required for a component or modal interaction") }
        }
        if let options = data["options"], options.arrayValue == nil { throw InteractionRequestError("data.options: must be an array") }

        let (channelID, guildID) = try interactionPlace(request)
        let userID = try interactionUser(request, guildID: guildID)
        guard let user = users[userID] else { throw InteractionRequestError("user_id: unknown user \(userID)") }
        var messageID: UInt64?
        if let value = request["message_id"], value != .null {
            guard let id = value.snowflake, logs[channelID]?.messages[id] != nil else {
                throw InteractionRequestError("message_id: no such message in channel \(channelID)")
            }
            messageID = id
        }

        let id = nextSnowflake()
        let token = Self.makeInteractionToken(id: id)
        let name = data["name"]?.stringValue
        if type == 2 || type == 4 {
            let stored = (commands[guildID] ?? []) + (commands[nil] ?? [])
            let commandID = stored.first { $0["name"]?.stringValue == name }?["id"] ?? .string(String(nextSnowflake()))
            if data["id"] == nil { data["id"] = commandID }
            if data["type"] == nil { data["type"] = 1 }
            if let guildID, stored.contains(where: { $0["guild_id"]?.snowflake == guildID && $0["name"]?.stringValue == name }) {
                data["guild_id"] = .string(String(guildID))
            }
        } else if type == 3, data["component_type"] == nil {
            data["component_type"] = 2
        }
        let interaction = Interaction(
            id: id, token: token, type: type, channelID: channelID, guildID: guildID, user: user, name: name,
            createdAt: now, messageID: messageID)

        var channel = channels[channelID] ?? [:]
        channel["permissions"] = .string(Self.allPermissions)
        var payload: JSONValue = [
            "id": .string(String(id)), "application_id": .string(String(applicationID)), "type": .int(type), "data": data,
            "channel_id": .string(String(channelID)), "channel": channel, "token": .string(token), "version": 1,
            "app_permissions": .string(Self.allPermissions), "locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": interaction.owners, "context": guildID == nil ? 1 : 0,
            "attachment_size_limit": 10_485_760,
        ]
        if let guildID {
            var member = guilds[guildID]?.members[userID] ?? [:]
            member["user"] = user
            member["permissions"] = .string(Self.allPermissions)
            payload["guild_id"] = .string(String(guildID))
            payload["guild"] = ["id": .string(String(guildID)), "features": [], "locale": "en-US"]
            payload["guild_locale"] = "en-US"
            payload["member"] = member
        } else {
            payload["user"] = user
        }
        if let messageID, let message = logs[channelID]?.messages[messageID] { payload["message"] = message }
        interactions[id] = interaction
        interactionsByToken[token] = id
        return (interaction, WorldEvent(name: "INTERACTION_CREATE", data: payload, guildID: guildID))
    }

    /// Takes in a recorded INTERACTION_CREATE (a replay) under a fresh id and token, so the bot's answers
    /// to it follow Discord's rules; nil when `payload` has no channel.
    mutating func adoptInteraction(_ payload: JSONValue) -> (Interaction, WorldEvent)? {
        guard let channelID = payload["channel_id"]?.snowflake else { return nil }
        let id = nextSnowflake()
        let token = Self.makeInteractionToken(id: id)
        let guildID = payload["guild_id"]?.snowflake
        let interaction = Interaction(
            id: id, token: token, type: payload["type"]?.int64Value ?? 2, channelID: channelID, guildID: guildID,
            user: payload["member"]?["user"] ?? payload["user"] ?? .null, name: payload["data"]?["name"]?.stringValue,
            createdAt: now, messageID: payload["message"]?["id"]?.snowflake)
        interactions[id] = interaction
        interactionsByToken[token] = id
        var data = payload
        data["id"] = .string(String(id))
        data["token"] = .string(token)
        return (interaction, WorldEvent(name: "INTERACTION_CREATE", data: data, guildID: guildID))
    }

    private func interactionPlace(_ request: JSONValue) throws(InteractionRequestError) -> (channel: UInt64, guild: UInt64?) {
        if let value = request["channel_id"], value != .null {
            guard let id = value.snowflake, let channel = channels[id] else { throw InteractionRequestError("channel_id: unknown channel") }
            return (id, channel["guild_id"]?.snowflake)
        }
        let guildID: UInt64
        if let value = request["guild_id"], value != .null {
            guard let id = value.snowflake, guilds[id] != nil else { throw InteractionRequestError("guild_id: unknown guild") }
            guildID = id
        } else {
            guard let first = guildOrder.first else { throw InteractionRequestError("channel_id: required, the fixture has no guild") }
            guildID = first
        }
        let order = guilds[guildID]?.channelOrder ?? []
        guard let channel = order.first(where: { channels[$0]?["type"]?.int64Value ?? 0 == 0 }) ?? order.first else {
            throw InteractionRequestError("channel_id: required, guild \(guildID) has no channel")
        }
        return (channel, guildID)
    }

    private func interactionUser(_ request: JSONValue, guildID: UInt64?) throws(InteractionRequestError) -> UInt64 {
        if let value = request["user_id"], value != .null {
            guard let id = value.snowflake else { throw InteractionRequestError("user_id: must be a snowflake string") }
            return id
        }
        if let guildID, let member = guilds[guildID]?.members.keys.sorted().first(where: { $0 != botID }) { return member }
        guard let user = users.keys.sorted().first(where: { $0 != botID }) else { throw InteractionRequestError("user_id: required, no user besides the bot") }
        return user
    }

    /// A fresh interaction token: long, URL-safe, unguessable.
    static func makeInteractionToken(id: UInt64) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var generator = SystemRandomNumberGenerator()
        return "aW50ZXJhY3Rpb246\(id)" + String((0..<96).map { _ in alphabet[Int(generator.next() % 64)] })
    }

    // MARK: Answering

    /// The interaction of a callback: known id and token, within the 3 s, not yet acknowledged.
    private func pendingInteraction(id: UInt64, token: String, window: UInt64) throws(RESTError) -> Interaction {
        guard let interaction = interactions[id], interaction.token == token else { throw .unknownInteraction }
        guard !interaction.acknowledged else { throw .alreadyAcknowledged }
        guard now &- interaction.createdAt <= window else { throw .unknownInteraction }
        return interaction
    }

    /// Acknowledges an interaction whose callback is answered from elsewhere (a replay's recording),
    /// with the 3-second and acknowledge-once rules.
    mutating func acknowledge(interactionID: UInt64, token: String, deferred: Bool, window: UInt64) throws(RESTError) {
        var interaction = try pendingInteraction(id: interactionID, token: token, window: window)
        interaction.acknowledged = true
        interaction.deferred = deferred
        interactions[interactionID] = interaction
    }

    /// `POST /interactions/{interaction.id}/{interaction.token}/callback`.
    mutating func callback(
        interactionID: UInt64, token: String, body: JSONValue, files: [UploadedFile], withResponse: Bool, window: UInt64
    ) throws(RESTError) -> WorldAnswer {
        var interaction = try pendingInteraction(id: interactionID, token: token, window: window)
        guard let type = body["type"]?.int64Value, body["type"]?.stringValue == nil else {
            throw .invalidFormBody("type", code: "BASE_TYPE_REQUIRED", message: "This field is required")
        }
        guard [1, 4, 5, 6, 7, 8, 9].contains(type) else {
            throw .invalidFormBody("type", code: "BASE_TYPE_CHOICES", message: "Value must be one of {1, 4, 5, 6, 7, 8, 9}.")
        }
        let data = body["data"] ?? [:]
        var events: [WorldEvent] = []
        var message: JSONValue?
        switch type {
        case 4, 5:
            var parsed = try MessageBody(data, files: files, prefix: "data.")
            if type == 4 { guard !parsed.isEmpty else { throw .emptyMessage } }
            let ephemeral = (parsed.flags ?? 0) & 64 != 0
            if type == 5 { parsed.flags = (parsed.flags ?? 0) & 64 | 128; parsed.content = "" }
            let made = try makeMessage(parsed, channelID: interaction.channelID, author: Author(user: botUser, interaction: interaction))
            events.append(post(made, channelID: interaction.channelID, ephemeral: ephemeral))
            interaction.originalMessageID = made["id"]?.snowflake
            interaction.loading = type == 5
            interaction.deferred = type == 5
            message = made
        case 6:
            interaction.deferred = true
            interaction.originalMessageID = interaction.messageID
        case 7:
            let parsed = try MessageBody(data, files: files, prefix: "data.")
            if let messageID = interaction.messageID, var target = logs[interaction.channelID]?.messages[messageID] {
                if let content = parsed.content { target["content"] = .string(content) }
                if let embeds = parsed.embeds { target["embeds"] = .array(embeds) }
                if let components = parsed.components { target["components"] = .array(components) }
                target["edited_timestamp"] = .string(timestamp)
                events.append(replace(target, channelID: interaction.channelID))
                interaction.originalMessageID = messageID
                message = target
            }
        case 9:
            for field in ["custom_id", "title", "components"] where data[field] == nil {
                throw .invalidFormBody("data.\(field)", code: "BASE_TYPE_REQUIRED", message: "This field is required")
            }
        default:
            break
        }
        interaction.acknowledged = true
        interaction.responseType = type
        interaction.response = body
        interactions[interactionID] = interaction
        guard withResponse else { return .noContent(events: events) }
        var summary: JSONValue = ["id": .string(String(interactionID)), "type": .int(interaction.type)]
        if let id = interaction.originalMessageID, type == 4 || type == 5 || type == 7 {
            summary["response_message_id"] = .string(String(id))
            summary["response_message_loading"] = .bool(type == 5)
            summary["response_message_ephemeral"] = .bool(((message?["flags"]?.int64Value ?? 0) & 64) != 0)
        }
        var resource: JSONValue = ["type": .int(type)]
        if let message, type == 4 || type == 7 { resource["message"] = message }
        return .ok(["interaction": summary, "resource": resource], events: events)
    }

    /// The interaction of a webhook route: known token of this application, within 15 minutes.
    private func webhookInteraction(applicationID: UInt64, token: String) throws(RESTError) -> Interaction {
        guard applicationID == self.applicationID, let id = interactionsByToken[token], let interaction = interactions[id] else {
            throw .unknownWebhook
        }
        guard now &- interaction.createdAt <= Self.tokenLifetime else { throw .invalidWebhookToken }
        return interaction
    }

    /// The id `@original` or a follow-up id stands for, when it belongs to the interaction.
    private func ownedMessage(_ interaction: Interaction, messageID: UInt64?) throws(RESTError) -> UInt64 {
        guard let id = messageID ?? interaction.originalMessageID,
            id == interaction.originalMessageID || interaction.followups.contains(id),
            logs[interaction.channelID]?.messages[id] != nil
        else { throw .unknownMessage }
        return id
    }

    /// `GET /webhooks/{application.id}/{interaction.token}/messages/{@original | message.id}` (nil id: `@original`).
    func webhookMessage(applicationID: UInt64, token: String, messageID: UInt64?) throws(RESTError) -> WorldAnswer {
        let interaction = try webhookInteraction(applicationID: applicationID, token: token)
        return .ok(try message(try ownedMessage(interaction, messageID: messageID), in: interaction.channelID))
    }

    /// `PATCH .../messages/{@original | message.id}`: completes a deferred original.
    mutating func editWebhookMessage(applicationID: UInt64, token: String, messageID: UInt64?, body: JSONValue, files: [UploadedFile])
        throws(RESTError) -> WorldAnswer
    {
        var interaction = try webhookInteraction(applicationID: applicationID, token: token)
        let id = try ownedMessage(interaction, messageID: messageID)
        var answer = try editMessage(channelID: interaction.channelID, messageID: id, body: body, files: files)
        if id == interaction.originalMessageID, interaction.loading, var message = answer.body {
            message["flags"] = .int((message["flags"]?.int64Value ?? 0) & ~128)
            answer = .ok(message, events: [replace(message, channelID: interaction.channelID)])
            interaction.loading = false
        }
        if id == interaction.originalMessageID { interaction.deferred = false }
        interactions[interaction.id] = interaction
        return answer
    }

    /// `DELETE .../messages/{@original | message.id}`.
    mutating func deleteWebhookMessage(applicationID: UInt64, token: String, messageID: UInt64?) throws(RESTError) -> WorldAnswer {
        var interaction = try webhookInteraction(applicationID: applicationID, token: token)
        let id = try ownedMessage(interaction, messageID: messageID)
        let answer = try deleteMessage(channelID: interaction.channelID, messageID: id)
        interaction.followups.removeAll { $0 == id }
        if id == interaction.originalMessageID { interaction.originalMessageID = nil; interaction.loading = false }
        interactions[interaction.id] = interaction
        return answer
    }

    /// `POST /webhooks/{application.id}/{interaction.token}[?wait=true]`: a follow-up; the first one after a
    /// type 5 completes the loading message instead of creating another.
    mutating func createFollowup(applicationID: UInt64, token: String, body: JSONValue, files: [UploadedFile], wait: Bool)
        throws(RESTError) -> WorldAnswer
    {
        var interaction = try webhookInteraction(applicationID: applicationID, token: token)
        guard interaction.acknowledged else { throw .unknownWebhook }
        let parsed = try MessageBody(body, files: files)
        guard !parsed.isEmpty else { throw .emptyMessage }
        let answer: WorldAnswer
        if interaction.loading, let originalID = interaction.originalMessageID, var original = logs[interaction.channelID]?.messages[originalID] {
            original["content"] = .string(parsed.content ?? "")
            original["embeds"] = .array(parsed.embeds ?? [])
            original["components"] = .array(parsed.components ?? [])
            original["flags"] = .int((original["flags"]?.int64Value ?? 0) & ~128)
            original["edited_timestamp"] = .string(timestamp)
            answer = .ok(original, events: [replace(original, channelID: interaction.channelID)])
            interaction.loading = false
            interaction.deferred = false
        } else {
            let message = try makeMessage(parsed, channelID: interaction.channelID, author: Author(user: botUser, interaction: interaction))
            let ephemeral = (parsed.flags ?? 0) & 64 != 0
            answer = .ok(message, events: [post(message, channelID: interaction.channelID, ephemeral: ephemeral, answered: true)])
            if let id = message["id"]?.snowflake { interaction.followups.append(id) }
        }
        interactions[interaction.id] = interaction
        return wait ? answer : .noContent(events: answer.events)
    }

    /// The control API's view of an interaction.
    func interactionStatus(_ id: UInt64, window: UInt64) -> JSONValue? {
        guard let interaction = interactions[id] else { return nil }
        let original = interaction.originalMessageID.flatMap { logs[interaction.channelID]?.messages[$0] }
        return [
            "id": .string(String(id)), "state": .string(interaction.state(now: now, window: window).rawValue),
            "response_type": interaction.responseType.map { .int($0) } ?? .null, "response": interaction.response ?? .null,
            "original_message": original ?? .null,
            "followups": .array(interaction.followups.compactMap { logs[interaction.channelID]?.messages[$0] }),
        ]
    }
}
