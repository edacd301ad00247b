import Foundation
import GatewayModel
import GatewayScenario
@testable import GatewayServer
import GatewayTestClient
import Testing

/// Scenarios on a live server with a real WebSocket client: each trigger kind fires exactly at its
/// frame, `times` holds, and every fired action is recorded with the rule that fired it.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct ScenarioTests {
    private static func scenario(_ yaml: String) throws -> Scenario { try Scenario(parsing: Array(yaml.utf8)) }

    /// A server with `yaml` armed on every session, recording into memory.
    private static func start(_ yaml: String, heartbeatInterval: Int = 41_250) async throws -> (TestServer, MemorySink) {
        let sink = MemorySink()
        let server = try await TestServer.start(.init(heartbeatInterval: heartbeatInterval, recordingSink: sink, scenario: try scenario(yaml)))
        return (server, sink)
    }

    private static func controls(_ sink: MemorySink) -> [(action: String, args: JSONValue)] {
        sink.events.compactMap { event in
            guard case .control(let control) = event else { return nil }
            return (control.action, (try? JSONValue(parsing: control.args)) ?? .null)
        }
    }

    private static func expectSilence(_ client: GatewayTestClient, _ comment: Comment? = nil) async {
        await #expect(throws: TestClientError.self, comment) { try await client.next(timeout: .milliseconds(300)) }
    }

    /// Identifies, closes with 4000 and opens a new connection that has read HELLO.
    private static func identifyThenReconnect(_ server: TestServer, token: String) async throws -> (GatewayTestClient, String) {
        let (client, ready) = try await server.identify(token: token)
        try await client.close(code: 4000)
        _ = try await client.ending()
        let again = try await server.connect()
        _ = try await again.next()
        return (again, try #require(ready["d"]?["session_id"]?.stringValue))
    }

    @Test func resumeAnsweredWithOp9InsteadOfResumed() async throws {
        let (server, sink) = try await Self.start("""
            rules: [{name: refuse, when: {client_op: 6}, do: [{invalid_session: {resumable: false}}]}]
            """)
        let (client, sessionID) = try await Self.identifyThenReconnect(server, token: "resume-token")
        try await client.send(op: 6, ["token": "resume-token", "session_id": .string(sessionID), "seq": 1])
        #expect(try await client.next() == ["op": 9, "d": false, "s": nil, "t": nil])
        await Self.expectSilence(client, "no RESUMED after op 9")
        // The gateway session it named is over: a second RESUME (the rule is spent) is refused too.
        try await client.close(code: 4000)
        let third = try await server.connect()
        _ = try await third.next()
        try await third.send(op: 6, ["token": "resume-token", "session_id": .string(sessionID), "seq": 1])
        #expect(try await third.next()["op"] == 9)
        let fired = Self.controls(sink).filter { $0.action == "invalid_session" }
        #expect(fired.count == 1)
        #expect(fired.first?.args == ["resumable": false, "scenario": "refuse"])
    }

    @Test func stopAcksFromTheThirdHeartbeatExactly() async throws {
        let (server, sink) = try await Self.start("rules: [{when: {client_op: 1, nth: 3}, do: [{stop_acks: true}]}]")
        let (client, _) = try await server.identify(token: "zombie-token")
        for _ in 0..<2 { _ = try await client.nextDispatch("GUILD_CREATE") }
        for beat in 1...2 {
            try await client.send(op: 1, .int(Int64(beat)))
            #expect(try await client.next()["op"] == 11, "heartbeat \(beat) is acknowledged")
        }
        try await client.send(op: 1, 3)
        await Self.expectSilence(client, "the 3rd heartbeat gets no ACK")
        let session = try #require(server.server.sessions().first)
        #expect(server.server.controlFlags(for: session.id) == ControlFlags(stopHeartbeatAcks: true))
        #expect(Self.controls(sink).filter { $0.action == "stop_acks" }.map(\.args) == [["stop": true, "scenario": "1"]])
    }

    @Test func identifyClosedWith4000TwiceThenReady() async throws {
        let (server, sink) = try await Self.start("rules: [{name: reject, when: {client_op: 2}, do: [{disconnect: {code: 4000}}], times: 2}]")
        for attempt in 1...2 {
            let client = try await server.connect()
            _ = try await client.next()
            try await client.send(op: 2, ["token": "identify-token", "intents": .int(allIntents), "properties": [:]])
            let (frames, ending) = try await client.drain()
            #expect(frames.isEmpty, "attempt \(attempt): no READY before the close")
            #expect(ending == .closed(code: 4000, reason: "Unknown error."), "attempt \(attempt)")
        }
        let (client, ready) = try await server.identify(token: "identify-token")
        #expect(ready["t"] == "READY")
        _ = client
        #expect(Self.controls(sink).filter { $0.action == "disconnect" }.count == 2)
    }

    @Test func dispatchedFiresRightAfterThatFrame() async throws {
        let (server, _) = try await Self.start("rules: [{when: {dispatched: GUILD_CREATE, nth: 2}, do: [{disconnect: {code: 4000}}]}]")
        let (client, _) = try await server.identify(token: "dispatch-token")
        let (frames, ending) = try await client.drain()
        #expect(frames.map { $0["t"] } == ["GUILD_CREATE", "GUILD_CREATE"])
        #expect(ending == .closed(code: 4000, reason: "Unknown error."))
    }

    @Test func connectionEventsOpenIdentifiedResumedClosed() async throws {
        let (server, _) = try await Self.start("""
            rules:
              - {name: open, when: {connection: open, nth: 3}, do: [{drop: {}}]}
              - {name: identified, when: {connection: identified}, do: [{reconnect: {}}]}
              - {name: resumed, when: {connection: resumed}, do: [{heartbeat_request: {}}]}
              - {name: closed, when: {connection: closed, nth: 2}, do: [{invalidate: {}}]}
            """)
        let (client, ready) = try await server.identify(token: "events-token")
        for _ in 0..<2 { _ = try await client.nextDispatch("GUILD_CREATE") }
        #expect(try await client.next()["op"] == 7, "op 7 right after READY and its GUILD_CREATEs")
        try await client.close(code: 4000)  // closed #1
        _ = try await client.ending()
        let sessionID = try #require(ready["d"]?["session_id"])
        let second = try await server.connect()
        _ = try await second.next()
        try await second.send(op: 6, ["token": "events-token", "session_id": sessionID, "seq": 3])  // open #2
        #expect(try await second.nextDispatch("RESUMED")["t"] == "RESUMED")
        #expect(try await second.next()["op"] == 1, "op 1 right after RESUMED")
        try await second.close(code: 4000)  // closed #2: invalidates
        _ = try await second.ending()
        let third = try await server.connect()
        _ = try await third.next()
        try await third.send(op: 6, ["token": "events-token", "session_id": sessionID, "seq": 4])  // open #3: dropped
        let (frames, ending) = try await third.drain()
        #expect(frames.isEmpty)
        #expect(ending == .dropped)
        let fourth = try await server.connect()
        _ = try await fourth.next()
        try await fourth.send(op: 6, ["token": "events-token", "session_id": sessionID, "seq": 4])
        #expect(try await fourth.next()["op"] == 9, "invalidated when the 2nd connection closed")
    }

    @Test func afterMsCountsFromReadyAndRepeatsTimes() async throws {
        let (server, sink) = try await Self.start("rules: [{name: storm, when: {after_ms: 400}, do: [{reconnect: {}}], times: 2}]")
        // Before IDENTIFY, so before READY: the client may read frames later than they were sent.
        let ready = ContinuousClock.now
        let (client, _) = try await server.identify(token: "timer-token")
        for _ in 0..<2 { _ = try await client.nextDispatch("GUILD_CREATE") }
        #expect(try await client.next()["op"] == 7)
        let first = ContinuousClock.now - ready
        #expect(try await client.next()["op"] == 7)
        let second = ContinuousClock.now - ready
        #expect(first >= .milliseconds(350) && second >= .milliseconds(750), "op 7 at \(first) and \(second)")
        await Self.expectSilence(client, "times: 2")
        #expect(Self.controls(sink).filter { $0.action == "reconnect" }.map(\.args) == [["scenario": "storm"], ["scenario": "storm"]])
    }

    @Test func waitMsDelaysTheStepsAfterIt() async throws {
        let (server, _) = try await Self.start("""
            rules: [{when: {connection: identified}, do: [{reconnect: {}}, {wait_ms: 300}, {disconnect: {code: 4001}}]}]
            """)
        let identified = ContinuousClock.now  // before READY was sent
        let (client, _) = try await server.identify(token: "wait-token")
        for _ in 0..<2 { _ = try await client.nextDispatch("GUILD_CREATE") }
        #expect(try await client.next()["op"] == 7)
        #expect(try await client.ending() == .closed(code: 4001, reason: "Unknown opcode."))
        #expect(ContinuousClock.now - identified >= .milliseconds(300))
    }

    @Test func restTriggerCountsTheSessionsCallsOfARoute() async throws {
        let (server, sink) = try await Self.start("""
            rules:
              - when: {rest: "POST /channels/{channel.id}/messages", nth: 2}
                do: [{dispatch: {event: TYPING_START, data: {channel_id: "1100000000000000101", user_id: "7"}}}]
              - {name: fault, when: {rest: "GET /users/@me"}, do: [{rest_fault: {status: 429}}]}
            """)
        let (client, _) = try await server.identify(token: "rest-token")
        for _ in 0..<2 { _ = try await client.nextDispatch("GUILD_CREATE") }
        let auth = ["Authorization": "Bot rest-token"]
        let post = { try await HTTPSurfaceTests.call(server.port, "POST", "/api/v10/channels/1100000000000000101/typing", headers: auth) }
        #expect(try await post().status == 204, "typing is another route: no rule")
        _ = try await client.nextDispatch("TYPING_START")
        let send = { try await HTTPSurfaceTests.call(server.port, "POST", "/api/v10/channels/1100000000000000101/messages", ["content": "hi"], headers: auth) }
        #expect(try await send().status == 200)
        _ = try await client.nextDispatch("MESSAGE_CREATE")
        await Self.expectSilence(client, "the 1st call fires nothing")
        #expect(try await send().status == 200)
        var next: [String] = []
        while next.count < 2 { next.append(try await client.next()["t"]?.stringValue ?? "") }
        #expect(Set(next) == ["TYPING_START", "MESSAGE_CREATE"], "the rule fired on the 2nd call of the route")
        // A rule's rest fault answers the very call that fired it.
        let limited = try await HTTPSurfaceTests.call(server.port, "GET", "/api/v10/users/@me", headers: auth)
        #expect(limited.status == 429)
        let fault = Self.controls(sink).first { $0.action == "rest_fault" }
        #expect(fault?.args["scenario"] == "fault" && fault?.args["status"] == 429)
    }

    @Test func controlAPIArmsAndDisarmsAScenario() async throws {
        let sink = MemorySink()
        let server = try await TestServer.start(.init(recordingSink: sink))
        let session = try server.server.createSession(name: "api")
        let path = "/api/control/sessions/\(session.id)/scenario"
        let bad = try await HTTPSurfaceTests.call(server.port, "POST", path, ["rules": [["when": ["client_op": 1], "do": [["disconnect": ["code": "x"]]]]]])
        #expect(bad.status == 400)
        #expect(bad.json?["error"] == "rule 1: do[0].disconnect.code: required, an integer close code from 1000 to 4999")
        let armed = try await HTTPSurfaceTests.call(server.port, "POST", path, [
            "name": "api", "rules": [["name": "no acks", "when": ["client_op": 1], "do": [["stop_acks": true]], "times": "always"]],
        ])
        #expect(armed.status == 200 && armed.json == ["rules": 1])
        let unknown = try await HTTPSurfaceTests.call(server.port, "POST", "/api/control/sessions/nope/scenario", ["rules": []])
        #expect(unknown.status == 404)

        let (client, _) = try await server.identify(token: session.token)
        for _ in 0..<2 { _ = try await client.nextDispatch("GUILD_CREATE") }
        try await client.send(op: 1, 3)
        await Self.expectSilence(client)
        let disarmed = try await HTTPSurfaceTests.call(server.port, "DELETE", path)
        #expect(disarmed.status == 200 && disarmed.json == ["rules": 0])
        #expect(server.server.scenario(of: session.id) == nil)
        server.server.clearControlFlags(session.id)
        try await client.send(op: 1, 3)
        #expect(try await client.next()["op"] == 11, "disarmed: the rule no longer fires")
        let scenarioRows = Self.controls(sink).filter { $0.action == "scenario" }.map(\.args)
        #expect(scenarioRows == [["name": "api", "rules": 1], ["rules": 0]])
    }

    @Test func controlCallsStillAnswerAsBefore() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession()
        let (client, _) = try await server.identify(token: session.token)
        for _ in 0..<2 { _ = try await client.nextDispatch("GUILD_CREATE") }
        let base = "/api/control/sessions/\(session.id)"
        #expect(try await HTTPSurfaceTests.call(server.port, "POST", base + "/invalid-session", [:]).json == ["error": "resumable: required, true or false"])
        #expect(try await HTTPSurfaceTests.call(server.port, "POST", base + "/reconnect").json == ["sent": 1])
        #expect(try await client.next()["op"] == 7)
        #expect(try await HTTPSurfaceTests.call(server.port, "POST", base + "/heartbeat/stop-acks", [:]).json == ["stop_acks": true, "session_id": .string(session.id)])
        #expect(try await HTTPSurfaceTests.call(server.port, "POST", base + "/disconnect", ["code": 4000]).json == ["disconnected": 1])
        #expect(try await client.ending() == .closed(code: 4000, reason: "Unknown error."))
    }
}
