import GatewayDiff
import GatewayModel
import GatewayRecording
import Testing

/// SPEC §8's normalisation rules, each on its own: two sessions that differ only in one volatile
/// value compare equal.
@Suite struct NormalisationTests {
    /// Two in-memory sessions of client frames (1 s apart on connection 1, with a HELLO).
    static func side(_ clientFrames: [String], server: [String] = []) -> BotBehaviour {
        var frames = [
            StoredFrame(
                id: 1, connectionID: 1, sessionID: nil, tNs: 0, direction: .outbound, op: 10, seq: nil, event: nil,
                payload: Array(#"{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}"#.utf8), wireBytes: nil)
        ]
        for (index, text) in server.enumerated() {
            frames.append(
                StoredFrame(
                    id: Int64(frames.count + 1), connectionID: 1, sessionID: "s", tNs: Int64(index + 1) * 1_000_000, direction: .outbound,
                    op: 0, seq: nil, event: nil, payload: Array(text.utf8), wireBytes: nil))
        }
        for (index, text) in clientFrames.enumerated() {
            frames.append(
                StoredFrame(
                    id: Int64(frames.count + 1), connectionID: 1, sessionID: "s", tNs: Int64(index + 1) * 1_000_000_000,
                    direction: .inbound, op: nil, seq: nil, event: nil, payload: Array(text.utf8), wireBytes: nil))
        }
        return BotBehaviour(frames: frames, label: "memory")
    }

    static func compare(_ a: [String], _ b: [String], serverA: [String] = [], serverB: [String] = [], ignore: [String] = []) throws
        -> ComparisonReport
    {
        let options = ComparisonOptions(ignore: try ignore.map { try JSONPointer($0) })
        return BehaviourComparison.compare(side(a, server: serverA), side(b, server: serverB), options: options)
    }

    @Test func tokenAloneIsNoDifference() throws {
        let report = try Self.compare(
            [#"{"op":2,"d":{"token":"redacted:111111111111","intents":513,"properties":{"os":"linux"}}}"#],
            [#"{"op":2,"d":{"token":"redacted:222222222222","intents":513,"properties":{"os":"linux"}}}"#])
        #expect(report.isEqual)
    }

    @Test func nonceAloneIsNoDifference() throws {
        let report = try Self.compare(
            [#"{"op":8,"d":{"guild_id":"1099511627776000000","query":"","limit":0,"nonce":"aaaa"}}"#],
            [#"{"op":8,"d":{"guild_id":"1099511627776000000","query":"","limit":0,"nonce":"bbbbbbbb"}}"#])
        #expect(report.isEqual)
    }

    @Test func timestampsAreNoDifference() throws {
        let report = try Self.compare(
            [#"{"op":3,"d":{"since":1700000000000,"status":"idle","afk":true,"activities":[{"created_at":"2024-01-01T00:00:00+00:00"}]}}"#],
            [#"{"op":3,"d":{"since":1800000000000,"status":"idle","afk":true,"activities":[{"created_at":"2025-02-02T10:00:00+00:00"}]}}"#])
        #expect(report.isEqual)
        let changed = try Self.compare(
            [#"{"op":3,"d":{"since":null,"status":"idle","afk":true}}"#],
            [#"{"op":3,"d":{"since":1800000000000,"status":"idle","afk":true}}"#])
        #expect(!changed.isEqual, "null and a timestamp are not the same")
    }

    @Test func heartbeatSequenceIsNoDifference() throws {
        let report = try Self.compare([#"{"op":1,"d":5}"#, #"{"op":1,"d":6}"#], [#"{"op":1,"d":90}"#, #"{"op":1,"d":null}"#])
        #expect(report.isEqual)
        #expect(report.a.steps == 0, "heartbeats are a cadence, not steps")
    }

    @Test func identifyPropertiesCompareByKey() throws {
        let report = try Self.compare(
            [#"{"op":2,"d":{"token":"t","intents":1,"properties":{"os":"linux","browser":"discord.py","device":"discord.py"}}}"#],
            [#"{"op":2,"d":{"token":"t","intents":1,"properties":{"os":"darwin","browser":"my-lib","device":"my-lib"}}}"#])
        #expect(report.isEqual)
        let keys = try Self.compare(
            [#"{"op":2,"d":{"token":"t","intents":1,"properties":{"os":"linux","browser":"x","device":"x"}}}"#],
            [#"{"op":2,"d":{"token":"t","intents":1,"properties":{"$os":"linux","$browser":"x","$device":"x"}}}"#])
        #expect(!keys.isEqual, "a different key set is a difference")
    }

    @Test func gatewaySessionIdsAreAliased() throws {
        let report = try Self.compare(
            [#"{"op":6,"d":{"token":"t","session_id":"aaaaaaaa","seq":3}}"#],
            [#"{"op":6,"d":{"token":"t","session_id":"bbbbbbbb","seq":3}}"#])
        #expect(report.isEqual)
    }

    @Test func consistentlyChangedSnowflakeIsNoDifference() throws {
        // B's world has other ids, and the bot uses them the same way: the same aliases.
        let report = try Self.compare(
            [#"{"op":8,"d":{"guild_id":"1099511627776000000","user_ids":["1200000000000000001"]}}"#],
            [#"{"op":8,"d":{"guild_id":"1099511627999999999","user_ids":["1200000000000000777"]}}"#],
            serverA: [#"{"op":0,"t":"GUILD_CREATE","s":2,"d":{"id":"1099511627776000000","members":[{"user":{"id":"1200000000000000001"}}]}}"#],
            serverB: [#"{"op":0,"t":"GUILD_CREATE","s":2,"d":{"id":"1099511627999999999","members":[{"user":{"id":"1200000000000000777"}}]}}"#])
        #expect(report.isEqual, "\(report.render(format: .text(color: false)))")
    }

    @Test func inconsistentSnowflakeIsADifference() throws {
        // Two guilds announced in the same order; A asks about the first, B about the second.
        let guilds = #"{"op":0,"t":"READY","s":1,"d":{"guilds":[{"id":"1099511627776000000"},{"id":"1099511627780194304"}]}}"#
        let report = try Self.compare(
            [#"{"op":8,"d":{"guild_id":"1099511627776000000","query":""}}"#],
            [#"{"op":8,"d":{"guild_id":"1099511627780194304","query":""}}"#],
            serverA: [guilds], serverB: [guilds])
        #expect(!report.isEqual)
        let first = try #require(report.firstDivergence)
        #expect(first.fields.map(\.pointer) == ["/d/guild_id"])
        #expect(first.fields[0].a == "<id-1>" && first.fields[0].b == "<id-2>")
    }

    @Test func snowflakeAsNumberMatchesString() throws {
        let report = try Self.compare(
            [#"{"op":8,"d":{"guild_id":"1099511627776000000"}}"#], [#"{"op":8,"d":{"guild_id":1099511627776000000}}"#])
        #expect(report.isEqual)
    }

    @Test func ignorePointersRemoveFields() throws {
        let a = [#"{"op":3,"d":{"status":"idle","activities":[{"name":"a"}]}}"#]
        let b = [#"{"op":3,"d":{"status":"dnd","activities":[{"name":"b"}]}}"#]
        #expect(try !Self.compare(a, b).isEqual)
        #expect(try !Self.compare(a, b, ignore: ["/d/status"]).isEqual)
        #expect(try Self.compare(a, b, ignore: ["/d/status", "/d/activities/*/name"]).isEqual)
        #expect(try Self.compare(a, b, ignore: ["/d"]).isEqual)
    }

    @Test func realDifferencesRemain() throws {
        let report = try Self.compare(
            [#"{"op":3,"d":{"status":"idle"}}"#, #"{"op":8,"d":{"query":"a"}}"#],
            [#"{"op":3,"d":{"status":"online"}}"#, #"{"op":4,"d":{"channel_id":null}}"#, #"{"op":8,"d":{"query":"a"}}"#])
        #expect(report.count(.changed) == 1 && report.count(.added) == 1 && report.count(.removed) == 0)
        #expect(report.firstDivergence?.label == "PRESENCE_UPDATE")
        #expect(report.differences.first { $0.kind == .added }?.label == "VOICE_STATE_UPDATE")
    }

    @Test func badPointersAreRefused() throws {
        #expect(throws: JSONPointer.SyntaxError.self) { try JSONPointer("d/presence") }
        #expect(throws: JSONPointer.SyntaxError.self) { try JSONPointer("/d/~2") }
        #expect(try JSONPointer("/a~1b/~0c").segments == ["a/b", "~c"])
    }
}

/// Field-level differences.
@Suite struct FieldDifferenceTests {
    @Test func arraysOfDifferentLengthsShowAbsentElements() throws {
        let report = try NormalisationTests.compare(
            [#"{"op":3,"d":{"activities":[{"name":"a"}]}}"#], [#"{"op":3,"d":{"activities":[{"name":"a"},{"name":"b"}]}}"#])
        let field = try #require(report.firstDivergence?.fields.first)
        #expect(field.pointer == "/d/activities/1")
        #expect(field.a == Optional<JSONValue>.none && field.b?["name"] == "b")
    }

    /// SPEC §7: REST paths compare without the `/api` or `/api/vN` prefix and percent-decoded, so a
    /// file from another writer (another API version, an encoded emoji) compares equal.
    @Test(arguments: [
        ("/api/v10/channels/1/messages/2/reactions/\u{1F44D}/@me", "/api/channels/1/messages/2/reactions/%F0%9F%91%8D/@me"),
        ("/api/v9/gateway/bot", "/api/v10/gateway/bot"),
        ("/api/v10/channels/1/messages?limit=5", "/channels/1/messages?limit=5"),
    ])
    func restPathsCompareAsSpecified(_ a: String, _ b: String) {
        func side(_ path: String) -> BotBehaviour {
            let call = StoredHTTPCall(
                id: 1, sessionID: "s", tNs: 0, method: "PUT", path: path, status: 204, request: nil, response: nil)
            return BotBehaviour(frames: [], http: [call], label: path)
        }
        let report = BehaviourComparison.compare(side(a), side(b))
        #expect(report.isEqual, "\(report.render(format: .text(color: false)))")
        #expect(!BehaviourComparison.compare(side(a), side("/api/v10/channels/1/typing")).isEqual)
    }

    @Test func comparablePath() {
        func path(_ text: String) -> String {
            StoredHTTPCall(id: 1, sessionID: nil, tNs: 0, method: "GET", path: text, status: nil, request: nil, response: nil)
                .comparablePath
        }
        #expect(path("/api/v10/users/@me") == "/users/@me")
        #expect(path("/api/users/@me") == "/users/@me")
        #expect(path("/api/v10") == "/")
        #expect(path("/api/version/x") == "/version/x")
        #expect(path("/api/v10/a%2Fb?q=%20") == "/a/b?q=%20")
        #expect(path("/healthz") == "/healthz")
    }
}
