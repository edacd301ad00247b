import GatewayModel

/// Application commands: `PUT` stores and echoes the list (with ids), `GET` returns what was stored,
/// `POST` creates or replaces one by name.
extension WorldState {
    /// `PUT /applications/{application.id}[/guilds/{guild.id}]/commands`.
    mutating func putCommands(guildID: UInt64?, body: JSONValue) throws(RESTError) -> WorldAnswer {
        if let guildID { _ = try guild(guildID) }
        guard let list = body.arrayValue else { throw .wrongType("_", expected: "an array") }
        var stored: [JSONValue] = []
        for (index, command) in list.enumerated() {
            stored.append(try filledCommand(command, guildID: guildID, path: "\(index)."))
        }
        commands[guildID] = stored
        return .ok(.array(stored))
    }

    /// `POST /applications/{application.id}[/guilds/{guild.id}]/commands`.
    mutating func postCommand(guildID: UInt64?, body: JSONValue) throws(RESTError) -> WorldAnswer {
        if let guildID { _ = try guild(guildID) }
        let command = try filledCommand(body, guildID: guildID, path: "")
        var list = commands[guildID] ?? []
        if let index = list.firstIndex(where: { $0["name"] == command["name"] }) {
            var replaced = command
            replaced["id"] = list[index]["id"]
            list[index] = replaced
            commands[guildID] = list
            return .ok(replaced)
        }
        list.append(command)
        commands[guildID] = list
        return WorldAnswer(status: 201, body: command)
    }

    func getCommands(guildID: UInt64?) throws(RESTError) -> WorldAnswer {
        if let guildID { _ = try guild(guildID) }
        return .ok(.array(commands[guildID] ?? []))
    }

    private mutating func filledCommand(_ command: JSONValue, guildID: UInt64?, path: String) throws(RESTError) -> JSONValue {
        guard case .object = command else { throw .wrongType(path.isEmpty ? "_" : String(path.dropLast()), expected: "an object") }
        guard let name = command["name"]?.stringValue, (1...32).contains(name.count) else {
            throw .invalidFormBody(path + "name", code: "BASE_TYPE_BAD_LENGTH", message: "Must be between 1 and 32 in length.")
        }
        var filled: JSONValue = [
            "id": .string(String(nextSnowflake())), "application_id": .string(String(applicationID)), "version": .string(String(nextSnowflake())),
            "type": 1, "description": "", "default_member_permissions": nil, "nsfw": false, "integration_types": [0], "contexts": nil,
        ]
        if let guildID { filled["guild_id"] = .string(String(guildID)) }
        filled = filled.merging(command)
        if command["id"] == nil || command["id"] == .null { filled["id"] = .string(String(nextSnowflake())) }
        return filled
    }
}
