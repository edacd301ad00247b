import Foundation
import GatewayModel
import Testing

struct JSONValueTests {
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":"x"}"#,
        #"{"big":9223372036854775807,"neg":-42,"f":1.5}"#,
        #"{"s":"quote \" backslash \\ newline \n tab \t nul \u0000 emoji 🎉 中文"}"#,
    ])
    func parsesAndWritesBackEquivalentJSON(text: String) throws {
        let value = try JSONValue(parsing: text)
        let again = try JSONValue(parsing: value.jsonBytes)
        #expect(again == value)
    }

    @Test func writesCompactSortedEscapedText() {
        let value: JSONValue = ["b": 1, "a": ["x\n\"y": nil], "c": .string("\u{01}é")]
        #expect(value.jsonString == #"{"a":{"x\n\"y":null},"b":1,"c":"\u0001é"}"#)
    }

    @Test func integersAndObjectsExtendedWithoutReencoding() throws {
        let numbers: JSONValue = [.int(0), .int(-7), .int(Int64.max), .int(Int64.min)]
        #expect(numbers.jsonString == "[0,-7,9223372036854775807,-9223372036854775808]")
        let base: JSONValue = ["id": "1", "z": [1]]
        let extended = try #require(JSONValue.objectBytes(base.jsonBytes, adding: ["guild_id": "2", "b": nil]))
        #expect(try JSONValue(parsing: extended) == base.merging(["guild_id": "2", "b": nil]))
        #expect(String(decoding: try #require(JSONValue.objectBytes(Array("{}".utf8), adding: ["a": 1])), as: UTF8.self) == #"{"a":1}"#)
        #expect(JSONValue.objectBytes(Array("[1]".utf8), adding: ["a": 1]) == nil)
    }

    @Test func snowflakesFromStringsOrNumbers() throws {
        #expect(JSONValue.string("1099511627776000000").snowflake == 1_099_511_627_776_000_000)
        #expect(JSONValue.int(1_099_511_627_776_000_000).snowflake == 1_099_511_627_776_000_000)
        #expect(JSONValue.string("abc").snowflake == nil)
        #expect(try JSONValue(parsing: "12345678901234567").int64Value == 12_345_678_901_234_567)
    }

    @Test func parserAgreesWithFoundationsDecoder() throws {
        let samples = [
            #"{"op":2,"d":{"token":"x","intents":53608189,"properties":{"os":"linux"},"shard":[0,2],"big":1099511627776000000}}"#,
            #"[1,-2,3.5,1e3,true,false,null,"a\"b\\c\n\u00e9\ud83d\ude00",{}, []]"#,
            #"  {"nested":{"a":[{"b":null}]},"f":-0.25}  "#,
        ]
        for text in samples {
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(try JSONValue(parsing: text) == foundation, "\(text)")
        }
        for bad in ["", "{", #"{"a":}"#, "[1,]", "01", #""\x""#, "nul", "{} x"] {
            #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: bad) }
        }
    }

    /// JSON text is UTF-8 (RFC 8259): a string with invalid bytes, escaped or not, is not JSON (it
    /// used to be repaired into U+FFFD and accepted).
    @Test(arguments: [
        [0x22, 0xFF, 0x22], [0x22, 0x61, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xFE, 0x22],
        Array(#"{"op":1,"d":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
    ] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: bytes) }
    }

    @Test func rejectsNonJSON() {
        #expect(throws: (any Error).self) { try JSONValue(parsing: "{nope") }
    }
}

struct FixtureTests {
    @Test func defaultFixtureHasTwoGuildsOnDifferentShardsAndTwentyMembers() {
        let fixture = Fixture.default
        #expect(fixture.guilds.count >= 2)
        #expect(Set(fixture.guildIDs.map { ($0 >> 22) % 2 }) == [0, 1])
        for guild in fixture.guilds {
            let members = guild["members"]?.arrayValue ?? []
            #expect(members.count >= 20)
            #expect(guild["member_count"] == .int(Int64(members.count)))
            #expect(guild["roles"]?.arrayValue?.allSatisfy { $0["colors"] != nil } == true)
            #expect((guild["channels"]?.arrayValue?.count ?? 0) >= 2)
        }
        #expect(fixture.approvedIntents == .privileged)
    }

    @Test func partialFixtureIsFilledFromTemplates() throws {
        let fixture = try Fixture(json: [
            "user": ["id": "42", "username": "bot"],
            "guilds": [["id": "7", "channels": [["id": "8", "name": "general"]], "members": [["user": ["id": "9"]]]]],
            "approved_intents": ["GUILD_MEMBERS"],
        ])
        #expect(fixture.user["bot"] == true && fixture.user["discriminator"] == "0")
        #expect(fixture.applicationID == "42" && fixture.application["owner"]?["id"] == "42")
        let guild = try #require(fixture.guild(7))
        #expect(guild["channels"]?.arrayValue?.first?["guild_id"] == "7")
        #expect(guild["roles"]?.arrayValue?.first?["name"] == "@everyone")
        #expect(guild["members"]?.arrayValue?.count == 2)  // the bot is added
        #expect(guild["member_count"] == 2)
        #expect(fixture.approvedIntents == .guildMembers)
    }

    @Test(arguments: [
        (#"[]"#, "the fixture must be a JSON object"),
        (#"{"user":{"id":"x"}}"#, "user.id"),
        (#"{"guilds":{}}"#, "guilds:"),
        (#"{"guilds":[{"name":"no id"}]}"#, "guilds[0].id"),
        (#"{"guilds":[{"id":"1","channels":[{"name":"x"}]}]}"#, "guilds[0].channels[0].id"),
        (#"{"guilds":[{"id":"1","members":[{"user":{}}]}]}"#, "guilds[0].members[0].user.id"),
        (#"{"approved_intents":["NOPE"]}"#, "approved_intents[0]"),
        ("not json", "not valid JSON"),
    ])
    func badFixturesNameTheField(text: String, field: String) {
        do {
            _ = try Fixture(parsing: Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(field), "\(error.description)")
        }
    }
}

struct ProtocolValueTests {
    @Test func intentsGateEventsByGuildOrDM() {
        #expect(GatewayIntents.required(forEvent: "MESSAGE_CREATE", inGuild: true) == .guildMessages)
        #expect(GatewayIntents.required(forEvent: "MESSAGE_CREATE", inGuild: false) == .directMessages)
        #expect(GatewayIntents.required(forEvent: "GUILD_CREATE", inGuild: true) == .guilds)
        #expect(GatewayIntents.required(forEvent: "PRESENCE_UPDATE", inGuild: true) == .guildPresences)
        #expect(GatewayIntents.required(forEvent: "INTERACTION_CREATE", inGuild: true) == nil)
        #expect(GatewayIntents.required(forEvent: "GUILD_MEMBERS_CHUNK", inGuild: true) == nil)
    }

    @Test func documentedIntentBits() {
        for bit in [0, 1, 2, 16, 20, 21, 24, 25] { #expect(GatewayIntents.documented.contains(GatewayIntents(rawValue: 1 << UInt64(bit)))) }
        for bit in [17, 18, 19, 22, 23, 26] { #expect(!GatewayIntents.documented.contains(GatewayIntents(rawValue: 1 << UInt64(bit)))) }
    }

    @Test func closeCodeSemantics() {
        for code: UInt16 in [4004, 4010, 4011, 4012, 4013, 4014] { #expect(!GatewayCloseCode(rawValue: code).allowsReconnect) }
        for code: UInt16 in [4000, 4001, 4002, 4003, 4005, 4007, 4008, 4009] { #expect(GatewayCloseCode(rawValue: code).allowsReconnect) }
        #expect(!GatewayCloseCode.normal.clientCloseKeepsSession && !GatewayCloseCode.goingAway.clientCloseKeepsSession)
        #expect(GatewayCloseCode(rawValue: 4000).clientCloseKeepsSession)
        #expect(GatewayCloseCode.invalidSeq.serverCloseEndsSession && GatewayCloseCode.sessionTimedOut.serverCloseEndsSession)
        #expect(!GatewayCloseCode.unknownError.serverCloseEndsSession)
        #expect(GatewayOpcode(rawValue: 99).name == "OP_99")
    }
}
