/// Gateway intents (IDENTIFY `intents`), a bit set.
public struct GatewayIntents: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let guilds = GatewayIntents(rawValue: 1 << 0)
    public static let guildMembers = GatewayIntents(rawValue: 1 << 1)
    public static let guildModeration = GatewayIntents(rawValue: 1 << 2)
    public static let guildExpressions = GatewayIntents(rawValue: 1 << 3)
    public static let guildIntegrations = GatewayIntents(rawValue: 1 << 4)
    public static let guildWebhooks = GatewayIntents(rawValue: 1 << 5)
    public static let guildInvites = GatewayIntents(rawValue: 1 << 6)
    public static let guildVoiceStates = GatewayIntents(rawValue: 1 << 7)
    public static let guildPresences = GatewayIntents(rawValue: 1 << 8)
    public static let guildMessages = GatewayIntents(rawValue: 1 << 9)
    public static let guildMessageReactions = GatewayIntents(rawValue: 1 << 10)
    public static let guildMessageTyping = GatewayIntents(rawValue: 1 << 11)
    public static let directMessages = GatewayIntents(rawValue: 1 << 12)
    public static let directMessageReactions = GatewayIntents(rawValue: 1 << 13)
    public static let directMessageTyping = GatewayIntents(rawValue: 1 << 14)
    public static let messageContent = GatewayIntents(rawValue: 1 << 15)
    public static let guildScheduledEvents = GatewayIntents(rawValue: 1 << 16)
    public static let autoModerationConfiguration = GatewayIntents(rawValue: 1 << 20)
    public static let autoModerationExecution = GatewayIntents(rawValue: 1 << 21)
    public static let guildMessagePolls = GatewayIntents(rawValue: 1 << 24)
    public static let directMessagePolls = GatewayIntents(rawValue: 1 << 25)

    /// Every documented bit (0–16, 20, 21, 24, 25); any other bit closes with 4013.
    public static let documented = GatewayIntents(rawValue: 0x1_FFFF | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25))
    /// Intents that need approval; unapproved ones close with 4014.
    public static let privileged: GatewayIntents = [.guildMembers, .guildPresences, .messageContent]

    /// Names as used in fixture files (`approved_intents`), e.g. `GUILD_MEMBERS`.
    public static let byName: [String: GatewayIntents] = [
        "GUILDS": .guilds, "GUILD_MEMBERS": .guildMembers, "GUILD_MODERATION": .guildModeration,
        "GUILD_EXPRESSIONS": .guildExpressions, "GUILD_INTEGRATIONS": .guildIntegrations,
        "GUILD_WEBHOOKS": .guildWebhooks, "GUILD_INVITES": .guildInvites, "GUILD_VOICE_STATES": .guildVoiceStates,
        "GUILD_PRESENCES": .guildPresences, "GUILD_MESSAGES": .guildMessages,
        "GUILD_MESSAGE_REACTIONS": .guildMessageReactions, "GUILD_MESSAGE_TYPING": .guildMessageTyping,
        "DIRECT_MESSAGES": .directMessages, "DIRECT_MESSAGE_REACTIONS": .directMessageReactions,
        "DIRECT_MESSAGE_TYPING": .directMessageTyping, "MESSAGE_CONTENT": .messageContent,
        "GUILD_SCHEDULED_EVENTS": .guildScheduledEvents,
        "AUTO_MODERATION_CONFIGURATION": .autoModerationConfiguration,
        "AUTO_MODERATION_EXECUTION": .autoModerationExecution, "GUILD_MESSAGE_POLLS": .guildMessagePolls,
        "DIRECT_MESSAGE_POLLS": .directMessagePolls,
    ]

    /// The intent a dispatch needs to be delivered, or `nil` when no intent gates it
    /// (READY, RESUMED, GUILD_MEMBERS_CHUNK, INTERACTION_CREATE, unknown events...).
    /// - Parameters:
    ///   - event: the dispatch name (`t`).
    ///   - inGuild: whether the event carries a `guild_id` (messages, reactions and typing
    ///     are gated by the GUILD_ or DIRECT_ variant accordingly).
    public static func required(forEvent event: String, inGuild: Bool) -> GatewayIntents? {
        switch event {
        case "MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK":
            return inGuild ? .guildMessages : .directMessages
        case "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE", "MESSAGE_REACTION_REMOVE_ALL",
            "MESSAGE_REACTION_REMOVE_EMOJI":
            return inGuild ? .guildMessageReactions : .directMessageReactions
        case "TYPING_START":
            return inGuild ? .guildMessageTyping : .directMessageTyping
        case "MESSAGE_POLL_VOTE_ADD", "MESSAGE_POLL_VOTE_REMOVE":
            return inGuild ? .guildMessagePolls : .directMessagePolls
        case "CHANNEL_PINS_UPDATE":
            return inGuild ? .guilds : .directMessages
        default:
            return eventIntents[event]
        }
    }

    private static let eventIntents: [String: GatewayIntents] = {
        var map: [String: GatewayIntents] = [:]
        func add(_ intent: GatewayIntents, _ events: [String]) { for event in events { map[event] = intent } }
        add(.guilds, [
            "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "THREAD_CREATE",
            "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC", "THREAD_MEMBER_UPDATE", "STAGE_INSTANCE_CREATE",
            "STAGE_INSTANCE_UPDATE", "STAGE_INSTANCE_DELETE", "VOICE_CHANNEL_STATUS_UPDATE",
            "VOICE_CHANNEL_START_TIME_UPDATE",
        ])
        add(.guildMembers, ["GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE"])
        add(.guildModeration, ["GUILD_AUDIT_LOG_ENTRY_CREATE", "GUILD_BAN_ADD", "GUILD_BAN_REMOVE"])
        add(.guildExpressions, [
            "GUILD_EMOJIS_UPDATE", "GUILD_STICKERS_UPDATE", "GUILD_SOUNDBOARD_SOUND_CREATE",
            "GUILD_SOUNDBOARD_SOUND_UPDATE", "GUILD_SOUNDBOARD_SOUND_DELETE", "GUILD_SOUNDBOARD_SOUNDS_UPDATE",
        ])
        add(.guildIntegrations, ["GUILD_INTEGRATIONS_UPDATE", "INTEGRATION_CREATE", "INTEGRATION_UPDATE", "INTEGRATION_DELETE"])
        add(.guildWebhooks, ["WEBHOOKS_UPDATE"])
        add(.guildInvites, ["INVITE_CREATE", "INVITE_DELETE"])
        add(.guildVoiceStates, ["VOICE_STATE_UPDATE", "VOICE_CHANNEL_EFFECT_SEND"])
        add(.guildPresences, ["PRESENCE_UPDATE"])
        add(.guildScheduledEvents, [
            "GUILD_SCHEDULED_EVENT_CREATE", "GUILD_SCHEDULED_EVENT_UPDATE", "GUILD_SCHEDULED_EVENT_DELETE",
            "GUILD_SCHEDULED_EVENT_USER_ADD", "GUILD_SCHEDULED_EVENT_USER_REMOVE",
        ])
        add(.autoModerationConfiguration, [
            "AUTO_MODERATION_RULE_CREATE", "AUTO_MODERATION_RULE_UPDATE", "AUTO_MODERATION_RULE_DELETE",
        ])
        add(.autoModerationExecution, ["AUTO_MODERATION_ACTION_EXECUTION"])
        return map
    }()
}
