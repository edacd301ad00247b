import GatewayModel
import GatewayWorld
import Testing

@Suite("World: messages")
struct MessageRulesTests {
    @Test("message ids increase and come from the clock; timestamp is ISO 8601")
    func idsIncrease() throws {
        let clock = ManualWorldClock()
        let world = makeWorld(clock: clock)
        let first = try world.send("one")
        let second = try world.send("two")
        clock.advance(milliseconds: 5)
        let third = try world.send("three")
        #expect(first < second && second < third)
        #expect(Snowflake.milliseconds(of: first) == clock.nowMilliseconds() - 5)
        #expect(Snowflake.milliseconds(of: third) == clock.nowMilliseconds())
        let message = try world.call("GET", "/channels/\(Ids.general)/messages/\(third)").body
        #expect(message?["timestamp"]?.stringValue == Snowflake.iso8601(milliseconds: clock.nowMilliseconds()))
        #expect(message?["timestamp"]?.stringValue?.hasSuffix("+00:00") == true)
    }

    @Test("create answers the message and causes MESSAGE_CREATE with guild_id and the bot's member")
    func createCausesEvent() throws {
        let world = makeWorld()
        let answer = try world.call("POST", "/api/v10/channels/\(Ids.general)/messages", body: ["content": "pong", "nonce": "abc"])
        #expect(answer.status == 200)
        #expect(answer.body?["author"]?["id"]?.snowflake == Ids.bot)
        #expect(answer.body?["nonce"] == "abc")
        #expect(answer.body?["guild_id"] == nil)
        let event = try #require(answer.events.first)
        #expect(event.name == "MESSAGE_CREATE")
        #expect(event.guildID == Ids.guild)
        #expect(event.data["guild_id"]?.snowflake == Ids.guild)
        #expect(event.data["member"]?["roles"] != nil)
        #expect(event.data["content"] == "pong")
    }

    @Test("empty message → 400 50006; content over 2,000 → 50035 with the nested error")
    func validation() throws {
        let world = makeWorld()
        #expect(throws: RESTError.emptyMessage) { try world.call("POST", "/channels/\(Ids.general)/messages", body: ["content": ""]) }
        let long = String(repeating: "x", count: 2_001)
        do {
            _ = try world.call("POST", "/channels/\(Ids.general)/messages", body: ["content": .string(long)])
            Issue.record("accepted 2,001 characters")
        } catch {
            #expect(error.status == 400)
            #expect(error.code == 50035)
            #expect(error.body["errors"]?["content"]?["_errors"]?.arrayValue?.first?["code"] == "BASE_TYPE_MAX_LENGTH")
        }
        _ = try world.call("POST", "/channels/\(Ids.general)/messages", body: ["content": .string(String(repeating: "x", count: 2_000))])
    }

    @Test("unknown ids answer their codes")
    func unknownIds() throws {
        let world = makeWorld()
        #expect(throws: RESTError.unknownChannel) { try world.call("POST", "/channels/1/messages", body: ["content": "x"]) }
        #expect(throws: RESTError.unknownMessage) { try world.call("GET", "/channels/\(Ids.general)/messages/5") }
        #expect(throws: RESTError.unknownGuild) { try world.call("GET", "/guilds/7") }
        #expect(throws: RESTError.unknownMember) { try world.call("GET", "/guilds/\(Ids.guild)/members/9") }
        #expect(throws: RESTError.unknownRole) { try world.call("PUT", "/guilds/\(Ids.guild)/members/1200000000000000002/roles/3") }
        #expect(throws: RESTError.unknownUser) { try world.call("GET", "/users/11") }
        let id = try world.send("hi")
        #expect(throws: RESTError.unknownEmoji) { try world.call("PUT", "/channels/\(Ids.general)/messages/\(id)/reactions/notanemoji/@me") }
    }

    @Test("editing another user's message → 403 50005; the bot's own edit sends MESSAGE_UPDATE")
    func editRules() throws {
        let world = makeWorld()
        world.observe(event: "MESSAGE_CREATE", data: userMessage(id: 1_300_000_000_000_000_000, content: "!ping"))
        #expect(throws: RESTError.otherUsersMessage) {
            try world.call("PATCH", "/channels/\(Ids.general)/messages/1300000000000000000", body: ["content": "hacked"])
        }
        let own = try world.send("pong")
        let edited = try world.call("PATCH", "/channels/\(Ids.general)/messages/\(own)", body: ["content": "pong!"])
        #expect(edited.body?["content"] == "pong!")
        #expect(edited.body?["edited_timestamp"]?.stringValue != nil)
        #expect(edited.events.map(\.name) == ["MESSAGE_UPDATE"])
    }

    @Test("history pages with before, after and around, newest first")
    func historyPaging() throws {
        let world = makeWorld()
        var ids: [UInt64] = []
        for index in 0..<10 { ids.append(try world.send("m\(index)")) }
        func page(_ query: [String: String]) throws -> [UInt64] {
            try world.call("GET", "/channels/\(Ids.general)/messages", query: query).body?.arrayValue?.compactMap { $0["id"]?.snowflake } ?? []
        }
        #expect(try page([:]) == ids.reversed())
        #expect(try page(["limit": "3"]) == [ids[9], ids[8], ids[7]])
        #expect(try page(["limit": "3", "before": String(ids[5])]) == [ids[4], ids[3], ids[2]])
        #expect(try page(["limit": "3", "after": String(ids[5])]) == [ids[8], ids[7], ids[6]])
        #expect(try page(["limit": "3", "around": String(ids[5])]) == [ids[6], ids[5], ids[4]])
        #expect(throws: RESTError.self) { try page(["limit": "101"]) }
    }

    @Test("a reply is type 19 with message_reference and referenced_message; unknown target → 50035")
    func replies() throws {
        let world = makeWorld()
        world.observe(event: "MESSAGE_CREATE", data: userMessage(id: 1_300_000_000_000_000_000, content: "!ping"))
        let reply = try world.call("POST", "/channels/\(Ids.general)/messages", body: [
            "content": "pong", "message_reference": ["message_id": "1300000000000000000"],
        ]).body
        #expect(reply?["type"] == 19)
        #expect(reply?["message_reference"]?["channel_id"]?.snowflake == Ids.general)
        #expect(reply?["referenced_message"]?["content"] == "!ping")
        do {
            _ = try world.call("POST", "/channels/\(Ids.general)/messages", body: ["content": "x", "message_reference": ["message_id": "42"]])
            Issue.record("replied to an unknown message")
        } catch {
            #expect(error.code == 50035)
            #expect(error.body["errors"]?["message_reference"]?["_errors"]?.arrayValue?.first?["code"] == "MESSAGE_REFERENCE_UNKNOWN_MESSAGE")
        }
    }

    @Test("reactions: 204, counts on the message, events only on change, users listed")
    func reactions() throws {
        let world = makeWorld()
        let id = try world.send("react to me")
        let path = "/channels/\(Ids.general)/messages/\(id)/reactions/%F0%9F%91%8D/@me"
        let added = try world.call("PUT", path)
        #expect(added.status == 204 && added.body == nil)
        #expect(added.events.first?.name == "MESSAGE_REACTION_ADD")
        #expect(added.events.first?.data["emoji"]?["name"] == "👍")
        #expect(try world.call("PUT", path).events.isEmpty)
        world.observe(event: "MESSAGE_REACTION_ADD", data: [
            "user_id": "1200000000000000002", "channel_id": .string(String(Ids.general)), "message_id": .string(String(id)),
            "emoji": ["id": nil, "name": "👍"],
        ])
        let message = try world.call("GET", "/channels/\(Ids.general)/messages/\(id)").body
        #expect(message?["reactions"]?.arrayValue?.first?["count"] == 2)
        #expect(message?["reactions"]?.arrayValue?.first?["me"] == true)
        let users = try world.call("GET", "/channels/\(Ids.general)/messages/\(id)/reactions/👍").body?.arrayValue ?? []
        #expect(users.count == 2)
        #expect(try world.call("DELETE", path).events.first?.name == "MESSAGE_REACTION_REMOVE")
        #expect(try world.call("GET", "/channels/\(Ids.general)/messages/\(id)").body?["reactions"]?.arrayValue?.first?["me"] == false)
    }

    @Test("pins, DM channels, roles and members")
    func worldRoutes() throws {
        let world = makeWorld()
        let id = try world.send("pin me")
        #expect(try world.call("PUT", "/channels/\(Ids.general)/messages/pins/\(id)").events.first?.name == "CHANNEL_PINS_UPDATE")
        #expect(try world.call("GET", "/channels/\(Ids.general)/messages/pins").body?["items"]?.arrayValue?.count == 1)
        #expect(try world.call("GET", "/channels/\(Ids.general)/pins").body?.arrayValue?.first?["pinned"] == true)

        let dm = try world.call("POST", "/users/@me/channels", body: ["recipient_id": "1200000000000000002"]).body
        let again = try world.call("POST", "/users/@me/channels", body: ["recipient_id": "1200000000000000002"]).body
        #expect(dm?["id"] == again?["id"])
        #expect(dm?["type"] == 1)
        let dmID = try #require(dm?["id"]?.snowflake)
        let sent = try world.call("POST", "/channels/\(dmID)/messages", body: ["content": "hello"])
        #expect(sent.events.first?.guildID == nil)
        #expect(sent.events.first?.data["guild_id"] == nil)

        let role = try world.call("PUT", "/guilds/\(Ids.guild)/members/1200000000000000002/roles/1100000000000000201")
        #expect(role.status == 204)
        #expect(role.events.first?.name == "GUILD_MEMBER_UPDATE")
        let member = try world.call("GET", "/guilds/\(Ids.guild)/members/1200000000000000002").body
        #expect(member?["roles"]?.arrayValue?.contains("1100000000000000201") == true)
        let members = try world.call("GET", "/guilds/\(Ids.guild)/members", query: ["limit": "5"]).body?.arrayValue ?? []
        #expect(members.count == 5)
        #expect(try world.call("GET", "/guilds/\(Ids.guild)", query: ["with_counts": "true"]).body?["approximate_member_count"] == 24)
    }

    @Test("a channel keeps its newest 1,000 messages")
    func bounded() throws {
        let world = makeWorld()
        var first: UInt64 = 0
        for index in 0..<1_005 {
            let id = try world.send("m\(index)")
            if index == 0 { first = id }
        }
        #expect(throws: RESTError.unknownMessage) { try world.call("GET", "/channels/\(Ids.general)/messages/\(first)") }
        #expect(world.channelMessages(Ids.general)?.arrayValue?.count == 1_000)
    }
}
