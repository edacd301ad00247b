extension Fixture {
    /// The built-in fixture `gatewaytape serve` uses with no `--fixture`: a bot, its application,
    /// two guilds (ids chosen so that with two shards each shard owns one), each with text and
    /// voice channels, coloured roles and 24 members. Every privileged intent is approved.
    public static let `default`: Fixture = {
        let guildSpecs: [(id: String, name: String, channelBase: UInt64, roleBase: UInt64)] = [
            ("1099511627776000000", "Mock Guild", 1_100_000_000_000_000_100, 1_100_000_000_000_000_200),
            ("1099511627780194304", "Mock Guild Two", 1_100_000_000_000_000_300, 1_100_000_000_000_000_400),
        ]
        let names = [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
            "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "xena", "yara", "zoe",
            "quentin",
        ]
        var guilds: [JSONValue] = []
        for (g, spec) in guildSpecs.enumerated() {
            let roles: [JSONValue] = [
                ["id": .string(String(spec.roleBase + 1)), "name": "Moderator", "color": 3_447_003, "hoist": true],
                ["id": .string(String(spec.roleBase + 2)), "name": "Member", "color": 10_181_046],
            ]
            let channels: [JSONValue] = [
                ["id": .string(String(spec.channelBase + 1)), "name": "general", "topic": "General chat"],
                ["id": .string(String(spec.channelBase + 2)), "name": "bot-commands"],
                ["id": .string(String(spec.channelBase + 3)), "name": "Voice", "type": 2, "bitrate": 64000, "user_limit": 0],
            ]
            var members: [JSONValue] = []
            for (i, name) in names.enumerated() {
                let userID = String(1_200_000_000_000_000_001 + UInt64(i))
                let role = String(spec.roleBase + (i == 0 ? 1 : 2))
                members.append(["user": ["id": .string(userID), "username": .string(name)], "roles": [.string(role)]])
            }
            guilds.append([
                "id": .string(spec.id), "name": .string(spec.name), "owner_id": "1200000000000000001",
                "system_channel_id": .string(String(spec.channelBase + 1)), "channels": .array(channels),
                "roles": .array(roles), "members": .array(members), "description": .string("Default fixture guild \(g + 1)"),
            ])
        }
        let document: JSONValue = [
            "user": ["id": "1000000000000000001", "username": "mockbot"],
            "application": ["id": "1000000000000000001", "name": "mockapp"],
            "guilds": .array(guilds),
        ]
        do { return try Fixture(json: document) } catch { fatalError("built-in fixture is invalid: \(error)") }
    }()
}
