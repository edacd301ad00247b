/// Discord-shaped payload templates that the common client libraries accept (PROTOCOL.md).
/// Fixture objects are merged over these, so a fixture may be partial.
enum Templates {
    static let user: JSONValue = [
        "id": "1000000000000000001", "username": "mockbot", "discriminator": "0", "global_name": nil,
        "avatar": nil, "bot": true, "public_flags": 0, "flags": 0, "mfa_enabled": false, "verified": true,
        "locale": "en-US",
    ]

    static let application: JSONValue = [
        "id": nil, "name": "mockapp", "icon": nil, "description": "", "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "0f3c8e2a5b7d9c1e4f6a8b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e", "flags": 0, "team": nil,
    ]

    static let joinedAt: JSONValue = "2024-01-01T00:00:00.000000+00:00"

    static func member(user: JSONValue) -> JSONValue {
        [
            "user": user, "roles": [], "joined_at": joinedAt, "deaf": false, "mute": false, "flags": 0,
            "nick": nil, "avatar": nil, "premium_since": nil, "pending": false, "communication_disabled_until": nil,
        ]
    }

    static func memberUser(id: String, username: String) -> JSONValue {
        [
            "id": .string(id), "username": .string(username), "discriminator": "0", "global_name": nil,
            "avatar": nil, "bot": false, "public_flags": 0,
        ]
    }

    static func role(id: String, name: String, position: Int64, color: Int64) -> JSONValue {
        [
            "id": .string(id), "name": .string(name), "color": .int(color),
            "colors": ["primary_color": .int(color), "secondary_color": nil, "tertiary_color": nil],
            "hoist": false, "icon": nil, "unicode_emoji": nil, "position": .int(position),
            "permissions": "1071698660929", "managed": false, "mentionable": false, "flags": 0,
        ]
    }

    static func channel(guildID: String, index: Int) -> JSONValue {
        [
            "type": 0, "guild_id": .string(guildID), "position": .int(Int64(index)), "permission_overwrites": [],
            "topic": nil, "nsfw": false, "last_message_id": nil, "rate_limit_per_user": 0, "parent_id": nil,
            "flags": 0,
        ]
    }

    static func guildBase(id: String, ownerID: String) -> JSONValue {
        [
            "id": .string(id), "name": "Mock Guild", "icon": nil, "splash": nil, "discovery_splash": nil,
            "owner_id": .string(ownerID), "afk_channel_id": nil, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "application_id": nil, "system_channel_id": nil, "system_channel_flags": 0, "rules_channel_id": nil,
            "vanity_url_code": nil, "description": nil, "banner": nil, "premium_tier": 0,
            "premium_subscription_count": 0, "preferred_locale": "en-US", "public_updates_channel_id": nil,
            "nsfw_level": 0, "features": [], "emojis": [], "stickers": [], "joined_at": joinedAt, "large": false,
            "unavailable": false, "presences": [], "voice_states": [], "threads": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
        ]
    }

    /// A full GUILD_CREATE object from a partial fixture guild.
    static func guild(_ partial: JSONValue, index: Int, botUser: JSONValue) throws(FixtureError) -> JSONValue {
        let field = "guilds[\(index)]"
        guard case .object = partial else { throw FixtureError("\(field): must be an object") }
        guard let id = partial["id"]?.snowflake else { throw FixtureError("\(field).id: must be a snowflake string") }
        let guildID = String(id)
        let botID = botUser["id"]?.stringValue ?? "0"
        var guild = guildBase(id: guildID, ownerID: botID).merging(partial)
        guild["id"] = .string(guildID)

        guard let channels = (partial["channels"] ?? []).arrayValue else { throw FixtureError("\(field).channels: must be an array") }
        var filledChannels: [JSONValue] = []
        for (i, channel) in channels.enumerated() {
            guard channel["id"]?.snowflake != nil else { throw FixtureError("\(field).channels[\(i)].id: must be a snowflake string") }
            filledChannels.append(Templates.channel(guildID: guildID, index: i).merging(channel))
        }
        guild["channels"] = .array(filledChannels)

        guard let roles = (partial["roles"] ?? []).arrayValue else { throw FixtureError("\(field).roles: must be an array") }
        var filledRoles: [JSONValue] = []
        if !roles.contains(where: { $0["id"]?.snowflake == id }) {
            filledRoles.append(role(id: guildID, name: "@everyone", position: 0, color: 0))
        }
        for (i, role) in roles.enumerated() {
            guard role["id"]?.snowflake != nil else { throw FixtureError("\(field).roles[\(i)].id: must be a snowflake string") }
            var filled = Templates.role(id: "0", name: "role", position: Int64(i + 1), color: 0).merging(role)
            if role["colors"] == nil, let color = filled["color"] { filled["colors"]?["primary_color"] = color }
            filledRoles.append(filled)
        }
        guild["roles"] = .array(filledRoles)

        guard let members = (partial["members"] ?? []).arrayValue else { throw FixtureError("\(field).members: must be an array") }
        var filledMembers: [JSONValue] = []
        var hasBot = false
        for (i, member) in members.enumerated() {
            guard let user = member["user"], let userID = user["id"]?.snowflake else {
                throw FixtureError("\(field).members[\(i)].user.id: must be a snowflake string")
            }
            hasBot = hasBot || String(userID) == botID
            let fullUser = memberUser(id: String(userID), username: "user\(i)").merging(user)
            var filled = Templates.member(user: fullUser).merging(member)
            filled["user"] = fullUser
            filledMembers.append(filled)
        }
        if !hasBot { filledMembers.insert(Templates.member(user: botUser), at: 0) }
        guild["members"] = .array(filledMembers)
        if partial["member_count"] == nil { guild["member_count"] = .int(Int64(filledMembers.count)) }
        return guild
    }
}
