import GatewayModel
import GatewayRecording
import GatewayServer
import GatewayWorld
import Testing

@testable import GatewayReplay

/// Matching the live bot's REST calls with the recorded ones (SPEC §8), without sockets.
@Suite
struct RecordedCallsTests {
    static let channel = "1100000000000000101"
    static let messages = "/api/v10/channels/\(channel)/messages"

    static func call(
        _ id: Int64, _ method: String, _ path: String, body: JSONValue = .null, status: Int = 200, response: JSONValue? = nil,
        headers: JSONValue? = nil, tNs: Int64 = 0
    ) -> StoredHTTPCall {
        StoredHTTPCall(
            id: id, sessionID: "s", tNs: tNs, method: method, path: path, status: status,
            request: JSONValue.object(["headers": [:], "body": body]).jsonString, response: (response ?? .null).jsonString,
            responseHeaders: headers?.jsonString)
    }

    static func live(_ method: String, _ path: String, body: JSONValue = .null, world: World = World(fixture: .default)) -> RESTCall {
        guard case .success(let match) = RESTRoute.match(method: method, path: path) else { preconditionFailure("no route: \(path)") }
        let query = path.firstIndex(of: "?").map { String(path[path.index(after: $0)...]) } ?? ""
        return RESTCall(id: 1, sessionID: "s", match: match, query: query, body: body, world: world)
    }

    @Test func callsOfOneRouteAreUsedInOrderThenTheWorldAnswers() {
        let recorded = RecordedCalls(
            http: [
                Self.call(1, "POST", Self.messages, body: ["content": "hi"], response: ["id": "2000000000000000001", "content": "hi"]),
                Self.call(2, "POST", Self.messages, body: ["content": "hi"], response: ["id": "2000000000000000002", "content": "hi"]),
            ], caused: [:])
        let first = recorded.answer(Self.live("POST", Self.messages, body: ["content": "hi"]))
        let second = recorded.answer(Self.live("POST", Self.messages, body: ["content": "hi"]))
        #expect(first?.body?["id"] == "2000000000000000001")
        #expect(second?.body?["id"] == "2000000000000000002")
        #expect(recorded.answer(Self.live("POST", Self.messages, body: ["content": "hi"])) == nil, "exhausted: the world answers")
    }

    @Test func bodiesCompareNormalisedAndPathIdsExactly() {
        let recorded = RecordedCalls(
            http: [
                Self.call(1, "POST", Self.messages, body: ["content": "a", "nonce": "111", "embeds": [["timestamp": "2024-01-01T00:00:00+00:00"]]]),
                Self.call(2, "POST", Self.messages, body: ["content": "b"]),
            ], caused: [:])
        // Another nonce and timestamp, the same message: the first call.
        let same = recorded.answer(Self.live("POST", "/api/v9/channels/\(Self.channel)/messages",
            body: ["content": "a", "nonce": "999", "embeds": [["timestamp": "2026-12-03T10:00:00+00:00"]]]))
        #expect(same != nil)
        // Another text: not the second recorded call's either.
        #expect(recorded.answer(Self.live("POST", Self.messages, body: ["content": "c"])) == nil)
        // Another channel (a path id): no match.
        #expect(recorded.answer(Self.live("POST", "/api/v10/channels/1100000000000000102/messages", body: ["content": "b"])) == nil)
        // The second is found past the first, already used.
        #expect(recorded.answer(Self.live("POST", Self.messages, body: ["content": "b"])) != nil)
    }

    @Test func startupRoutesAreLive() {
        let recorded = RecordedCalls(http: [Self.call(1, "GET", "/api/v10/users/@me", response: ["id": "1"])], caused: [:])
        #expect(recorded.calls.isEmpty)
        #expect(recorded.answer(Self.live("GET", "/api/v10/users/@me")) == nil)
    }

    @Test func aMatchBringsItsDispatchesAndShiftsRateLimitReset() {
        let event = WorldEvent(name: "MESSAGE_CREATE", data: ["id": "2000000000000000001"], guildID: 1_099_511_627_776_000_000)
        let recorded = RecordedCalls(
            http: [
                Self.call(7, "POST", Self.messages, body: ["content": "x"], status: 429, response: ["retry_after": .double(0.5)],
                    headers: ["x-ratelimit-reset": "1.000", "x-ratelimit-reset-after": "0.500", "via": "1.1 google", "content-length": "40"]),
                Self.call(8, "POST", Self.messages, body: ["content": "x"], response: ["id": "2000000000000000001"]),
            ], caused: [8: [event]], unixNow: { 5_000 })
        let limited = recorded.answer(Self.live("POST", Self.messages, body: ["content": "x"]))
        #expect(limited?.status == 429 && limited?.events.isEmpty == true)
        var headers: [String: String] = [:]
        for field in limited?.headers ?? [] { headers[field.name] = field.value }
        #expect(headers == ["x-ratelimit-reset": "5000.500", "x-ratelimit-reset-after": "0.500", "via": "1.1 google"])
        let sent = recorded.answer(Self.live("POST", Self.messages, body: ["content": "x"]))
        #expect(sent?.events == [event])
        #expect(sent?.headers == nil, "no recorded headers: the REST layer's own")
    }

    @Test func callbacksOnAReDispatchedInteractionMatchTheRecordedToken() throws {
        let world = World(fixture: .default, callbackWindow: 3_000)
        let recordedPayload: JSONValue = [
            "id": "3000000000000000001", "token": "redacted:0123456789ab", "type": 2, "channel_id": .string(Self.channel),
            "guild_id": "1099511627776000000", "data": ["name": "ping"],
        ]
        let recorded = RecordedCalls(
            http: [Self.call(1, "POST", "/api/v10/interactions/3000000000000000001/redacted:0123456789ab/callback", body: ["type": 4, "data": ["content": "pong"]], status: 204)],
            caused: [:])
        let (interaction, event) = try #require(world.adoptInteraction(recordedPayload))
        #expect(event.data["id"] != recordedPayload["id"] && event.data["token"]?.stringValue == interaction.token)
        recorded.adopted(recordedID: "3000000000000000001", recordedToken: "redacted:0123456789ab", freshID: String(interaction.id), freshToken: interaction.token)
        let path = "/api/v10/interactions/\(interaction.id)/\(interaction.token)/callback"
        let reply = recorded.answer(Self.live("POST", path, body: ["type": 4, "data": ["content": "pong"]], world: world))
        #expect(reply?.status == 204)
        // The world saw the acknowledgement: a second callback is its to refuse (40060).
        #expect(recorded.answer(Self.live("POST", path, body: ["type": 4, "data": ["content": "pong"]], world: world)) == nil)
        #expect(recorded.recordedForm("/api/v10/interactions/\(interaction.id)/\(GatewayServer.redactedInteractionToken(interaction.token))/callback")
            == "/api/v10/interactions/3000000000000000001/redacted:0123456789ab/callback")
    }

    @Test func aLateCallbackIsLeftToTheWorld() throws {
        let world = World(fixture: .default, callbackWindow: 0)
        let payload: JSONValue = ["id": "3000000000000000001", "token": "redacted:0123456789ab", "channel_id": .string(Self.channel), "data": ["name": "ping"]]
        let recorded = RecordedCalls(
            http: [Self.call(1, "POST", "/api/v10/interactions/3000000000000000001/redacted:0123456789ab/callback", body: ["type": 5], status: 204)],
            caused: [:])
        let (interaction, _) = try #require(world.adoptInteraction(payload))
        recorded.adopted(recordedID: "3000000000000000001", recordedToken: "redacted:0123456789ab", freshID: String(interaction.id), freshToken: interaction.token)
        // callbackWindow 0: even at once the callback is late once the clock has moved.
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .milliseconds(3) {}
        #expect(recorded.answer(Self.live("POST", "/api/v10/interactions/\(interaction.id)/\(interaction.token)/callback", body: ["type": 5], world: world)) == nil)
    }
}

/// Finding the dispatches a REST call brought, with `frames.cause_http_id` and without it.
@Suite
struct RESTCausesTests {
    static func dispatch(_ id: Int64, _ event: String, _ data: JSONValue, tNs: Int64, cause: Int64? = nil) -> StoredFrame {
        StoredFrame(
            id: id, connectionID: 1, sessionID: "s", tNs: tNs, direction: .outbound, op: 0, seq: id, event: event,
            payload: JSONValue.object(["op": 0, "t": .string(event), "s": .int(id), "d": data]).jsonBytes, wireBytes: nil, causeHTTPID: cause)
    }

    @Test func inferredFromTheAnswerIdAndTheReactionPath() {
        let channel = RecordedCallsTests.channel
        let http = [
            RecordedCallsTests.call(1, "POST", RecordedCallsTests.messages, response: ["id": "2000000000000000001"], tNs: 1_000),
            RecordedCallsTests.call(2, "PUT", "/api/v10/channels/\(channel)/messages/2000000000000000009/reactions/%F0%9F%91%8B/@me", status: 204, tNs: 2_000),
            RecordedCallsTests.call(3, "GET", "/api/v10/channels/\(channel)/messages/2000000000000000009", response: ["id": "2000000000000000009"], tNs: 3_000),
        ]
        let frames = [
            Self.dispatch(10, "MESSAGE_CREATE", ["id": "2000000000000000001"], tNs: 1_500),
            Self.dispatch(11, "MESSAGE_REACTION_ADD", ["message_id": "2000000000000000009", "emoji": ["name": "👋", "id": .null]], tNs: 2_500),
            // A GET changes nothing: the update that follows it is the timeline's.
            Self.dispatch(12, "MESSAGE_UPDATE", ["id": "2000000000000000009"], tNs: 3_500),
            // Too late for call 1's 5 s.
            Self.dispatch(13, "MESSAGE_UPDATE", ["id": "2000000000000000001"], tNs: 7_000_000_000),
        ]
        #expect(RESTCauses.find(frames: frames, http: http) == [10: 1, 11: 2])
    }

    @Test func theColumnWinsOverInference() {
        let http = [RecordedCallsTests.call(1, "POST", RecordedCallsTests.messages, response: ["id": "2000000000000000001"], tNs: 1_000)]
        let frames = [
            Self.dispatch(10, "MESSAGE_CREATE", ["id": "2000000000000000001"], tNs: 1_500),
            Self.dispatch(11, "MESSAGE_CREATE", ["id": "2000000000000000002"], tNs: 1_600, cause: 1),
        ]
        #expect(RESTCauses.find(frames: frames, http: http) == [11: 1])
    }
}
