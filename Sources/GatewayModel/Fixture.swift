/// The world a session's bot sees: its user, application, guilds (channels, roles, members) and
/// which privileged intents it may use.
///
/// A fixture file is JSON (schema in the README): every object may be partial; missing Discord
/// fields are filled from the payload templates that common client libraries accept.
public struct Fixture: Sendable, Equatable {
    /// The bot user (`/users/@me`, READY `user`).
    public var user: JSONValue
    /// The application (`/oauth2/applications/@me`); READY carries its `id` and `flags`.
    public var application: JSONValue
    /// Full GUILD_CREATE objects, one per guild.
    public var guilds: [JSONValue]
    /// Privileged intents the bot may request; others close with 4014.
    public var approvedIntents: GatewayIntents

    /// Builds a fixture from its JSON document, filling missing fields from the templates.
    /// - Throws: `FixtureError` naming the first bad field.
    public init(json: JSONValue) throws(FixtureError) {
        guard case .object = json else { throw FixtureError("the fixture must be a JSON object") }
        let userOverrides = json["user"] ?? [:]
        guard case .object = userOverrides else { throw FixtureError("user: must be an object") }
        let user = Templates.user.merging(userOverrides)
        guard let userID = user["id"]?.snowflake else { throw FixtureError("user.id: must be a snowflake string") }
        self.user = user

        let appOverrides = json["application"] ?? [:]
        guard case .object = appOverrides else { throw FixtureError("application: must be an object") }
        var application = Templates.application.merging(appOverrides)
        if application["id"] == nil || application["id"] == .null { application["id"] = .string(String(userID)) }
        guard application["id"]?.snowflake != nil else { throw FixtureError("application.id: must be a snowflake string") }
        if application["owner"] == nil { application["owner"] = user }
        self.application = application

        guard let guildList = (json["guilds"] ?? []).arrayValue else { throw FixtureError("guilds: must be an array") }
        var guilds: [JSONValue] = []
        for (index, guild) in guildList.enumerated() {
            guilds.append(try Templates.guild(guild, index: index, botUser: user))
        }
        self.guilds = guilds

        switch json["approved_intents"] {
        case nil:
            approvedIntents = .privileged
        case .array(let names)?:
            var approved: GatewayIntents = []
            for (index, name) in names.enumerated() {
                guard let intent = name.stringValue.flatMap({ GatewayIntents.byName[$0] }) else {
                    throw FixtureError("approved_intents[\(index)]: unknown intent name (use e.g. GUILD_MEMBERS)")
                }
                approved.insert(intent)
            }
            approvedIntents = approved
        default:
            throw FixtureError("approved_intents: must be an array of intent names")
        }
    }

    /// Parses and builds a fixture from JSON text.
    public init(parsing bytes: some Collection<UInt8>) throws(FixtureError) {
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw FixtureError("not valid JSON") }
        try self.init(json: json)
    }

    public var botUserID: String { user["id"]?.stringValue ?? "0" }
    public var applicationID: String { application["id"]?.stringValue ?? botUserID }

    /// The guild ids, as snowflakes, in fixture order.
    public var guildIDs: [UInt64] { guilds.compactMap { $0["id"]?.snowflake } }

    /// The guild with this id.
    public func guild(_ id: UInt64) -> JSONValue? { guilds.first { $0["id"]?.snowflake == id } }
}

/// A fixture that cannot be used, with the field at fault.
public struct FixtureError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
