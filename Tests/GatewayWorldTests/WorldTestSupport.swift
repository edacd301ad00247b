import GatewayModel
import GatewayWorld
import Testing

/// The default fixture's ids, and a world on a manual clock.
enum Ids {
    static let bot: UInt64 = 1000000000000000001
    static let guild: UInt64 = 1099511627776000000
    static let general: UInt64 = 1100000000000000101
}

func makeWorld(clock: ManualWorldClock = ManualWorldClock()) -> World {
    World(fixture: .default, clock: clock)
}

extension World {
    /// Calls a route by method and path, as the HTTP layer does.
    func call(_ method: String, _ path: String, query: [String: String] = [:], body: JSONValue = .null, files: [UploadedFile] = [])
        throws(RESTError) -> WorldAnswer
    {
        guard case .success(let match) = RESTRoute.match(method: method, path: path) else { throw .unknownRoute }
        return try handle(WorldRequest(match: match, query: query, body: body, files: files))
    }

    /// Sends a message as the bot and returns its id.
    func send(_ content: String, channel: UInt64 = Ids.general) throws -> UInt64 {
        let answer = try call("POST", "/channels/\(channel)/messages", body: ["content": .string(content)])
        return try #require(answer.body?["id"]?.snowflake)
    }
}

/// A user's message dispatched to the bot (as a test's control API call would).
func userMessage(id: UInt64, content: String, channel: UInt64 = Ids.general) -> JSONValue {
    [
        "id": .string(String(id)), "channel_id": .string(String(channel)), "guild_id": .string(String(Ids.guild)),
        "author": ["id": "1200000000000000002", "username": "bob", "discriminator": "0", "avatar": nil],
        "content": .string(content), "type": 0,
    ]
}
