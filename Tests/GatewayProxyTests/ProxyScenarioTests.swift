import Foundation
import GatewayModel
import GatewayProxy
import GatewayScenario
import GatewayServer
import GatewayTestClient
import NIOHTTP1
import Testing

/// Scenarios on the proxy (SPEC §9, §10): rules fire at the bot's frame, before it is forwarded (an
/// action that closes or sends op 9 keeps the frame from the upstream), on dispatches relayed from the
/// upstream, on connection events, by the clock from the first READY and on forwarded REST calls; every
/// fired action is a `controls` row of the proxy's recording with `args.scenario`.
@Suite(.timeLimit(.minutes(2)))
struct ProxyScenarioTests {
    private static func scenario(_ yaml: String) throws -> Scenario { try Scenario(parsing: Array(yaml.utf8)) }

    private static func upstreamGot(_ harness: ProxyHarness, op: Int) -> Int {
        harness.upstreamSink.frames.count { $0.direction == .inbound && $0.op == op }
    }

    @Test func identifyClosedWith4000TwiceIsNeverForwardedThenReady() async throws {
        let rules = try Self.scenario("rules: [{name: reject, when: {client_op: 2}, do: [{disconnect: {code: 4000}}], times: 2}]")
        try await ProxyHarness.run(scenario: rules) { harness in
            for attempt in 1...2 {
                let client = try await GatewayTestClient.connect(port: harness.port)
                #expect(try await client.next()["op"] == 10, "the upstream's HELLO")
                try await client.send(op: 2, ["token": "proxy-bot", "intents": 513, "properties": [:]])
                let (frames, ending) = try await client.drain()
                #expect(frames.isEmpty, "attempt \(attempt): no READY before the close")
                #expect(ending == .closed(code: 4000, reason: "Unknown error."), "attempt \(attempt)")
            }
            // Each upstream connection was closed with the bot's code, and never saw an IDENTIFY.
            try await harness.upstreamSink.wait { $0.closes.count { $0.code == 4000 && $0.closedBy == .client } == 2 }
            #expect(Self.upstreamGot(harness, op: 2) == 0)

            let (_, ready) = try await harness.identify()
            #expect(ready["t"] == "READY")
            #expect(Self.upstreamGot(harness, op: 2) == 1, "the third IDENTIFY (times: 2 spent) went upstream")
            #expect(harness.sink.controls.filter { $0.action == "disconnect" }.map(\.args) == [
                ["code": 4000, "reason": nil, "scenario": "reject"], ["code": 4000, "reason": nil, "scenario": "reject"],
            ])
        }
    }

    @Test func resumeAnsweredWithOp9InsteadOfForwarded() async throws {
        let rules = try Self.scenario("rules: [{name: refuse, when: {client_op: 6}, do: [{invalid_session: {resumable: false}}]}]")
        try await ProxyHarness.run(scenario: rules) { harness in
            let (client, ready) = try await harness.identify()
            let sessionID = try #require(ready["d"]?["session_id"]?.stringValue)
            try await client.close(code: 4000)
            _ = try await client.ending()

            let resumer = try await GatewayTestClient.connect(port: harness.port, path: "/resume/\(sessionID)")
            #expect(try await resumer.next()["op"] == 10)
            try await resumer.send(op: 6, ["token": "proxy-bot", "session_id": .string(sessionID), "seq": 1])
            #expect(try await resumer.next() == ["op": 9, "d": false, "s": nil, "t": nil])
            await #expect(throws: TestClientError.self, "no RESUMED after op 9") { try await resumer.next(timeout: .milliseconds(300)) }
            #expect(Self.upstreamGot(harness, op: 6) == 0, "the RESUME never reached the upstream")
            #expect(harness.sink.controls.filter { $0.action == "invalid_session" }.map(\.args) == [["resumable": false, "scenario": "refuse"]])
        }
    }

    @Test func stopAcksFromTheThirdHeartbeatAndARuleOnARelayedDispatch() async throws {
        let rules = try Self.scenario("""
            rules:
              - {name: zombie, when: {client_op: 1, nth: 3}, do: [{stop_acks: true}]}
              - {name: typing, when: {dispatched: TYPING_START, nth: 2}, do: [{reconnect: {}}]}
            """)
        try await ProxyHarness.run(scenario: rules) { harness in
            let (client, _) = try await harness.identify()
            for beat in 1...2 {
                try await client.send(op: 1, .int(Int64(beat)))
                #expect(try await client.next()["op"] == 11, "heartbeat \(beat) is acknowledged")
            }
            try await client.send(op: 1, 3)
            // The upstream still answers the third heartbeat; the proxy withholds the ACK.
            try await harness.upstreamSink.wait { $0.frames.count { $0.direction == .outbound && $0.op == 11 } == 3 }
            await #expect(throws: TestClientError.self, "the 3rd heartbeat gets no ACK") { try await client.next(timeout: .milliseconds(300)) }

            let upstreamSession = try harness.upstreamSession()
            for index in 1...3 {
                harness.upstream.dispatchToSession(upstreamSession, event: "TYPING_START", data: ["channel_id": "1", "user_id": .string("\(index)")])
            }
            var seen: [String] = []
            while seen.count < 4 {
                let frame = try await client.next()
                seen.append(frame["t"]?.stringValue ?? "op \(frame["op"]?.int64Value ?? -1)")
            }
            #expect(seen == ["TYPING_START", "TYPING_START", "op 7", "TYPING_START"], "op 7 right after the 2nd TYPING_START")
            #expect(harness.sink.controls.filter { $0.action != "scenario" }.map(\.action) == ["stop_acks", "reconnect"])
            #expect(harness.sink.controls.first { $0.action == "reconnect" }?.args == ["scenario": "typing"])
        }
    }

    @Test func identifiedAndTimerRulesCountFromTheUpstreamsReady() async throws {
        let rules = try Self.scenario("""
            rules:
              - {name: ask, when: {connection: identified}, do: [{heartbeat_request: {}}]}
              - {name: later, when: {after_ms: 300}, do: [{disconnect: {code: 4000}}]}
            """)
        try await ProxyHarness.run(scenario: rules) { harness in
            let client = try await GatewayTestClient.connect(port: harness.port)
            _ = try await client.next()
            // The timer starts at the upstream's READY, which comes after this IDENTIFY: a lower bound that
            // holds however late this client reads READY on a loaded machine.
            let identifiedAt = ContinuousClock.now
            try await client.send(op: 2, ["token": "proxy-bot", "intents": 513, "properties": [:]])
            _ = try await client.nextDispatch("READY")
            let (frames, ending) = try await client.drain()
            let closedAfter = ContinuousClock.now - identifiedAt
            #expect(frames.count { $0["op"] == 1 } == 1, "one op 1 after READY")
            #expect(ending == .closed(code: 4000, reason: "Unknown error."))
            #expect(closedAfter >= .milliseconds(300), "after_ms counts from READY: closed \(closedAfter) after IDENTIFY")
            try await harness.upstreamSink.wait { $0.closes.contains { $0.code == 4000 && $0.closedBy == .client } }
            #expect(harness.sink.controls.filter { $0.action != "scenario" }.map(\.args) == [
                ["scenario": "ask"], ["code": 4000, "reason": nil, "scenario": "later"],
            ])
        }
    }

    @Test func closedOpenAndResumedEventsAroundAResumeThroughTheProxy() async throws {
        let rules = try Self.scenario("""
            rules:
              - {name: closed, when: {connection: closed}, do: [{stop_acks: false}]}
              - {name: opened, when: {connection: open, nth: 2}, do: [{stop_acks: true}]}
              - {name: resumed, when: {connection: resumed}, do: [{heartbeat_request: {}}]}
            """)
        try await ProxyHarness.run(scenario: rules) { harness in
            let (client, ready) = try await harness.identify()
            let sessionID = try #require(ready["d"]?["session_id"]?.stringValue)
            try await client.close(code: 4000)
            _ = try await client.ending()
            try await harness.sink.wait { $0.controls.contains { $0.action == "stop_acks" } }

            let resumer = try await GatewayTestClient.connect(port: harness.port, path: "/resume/\(sessionID)")
            #expect(try await resumer.next()["op"] == 10)
            try await resumer.send(op: 6, ["token": "proxy-bot", "session_id": .string(sessionID), "seq": 1])
            _ = try await resumer.nextDispatch("RESUMED")
            #expect(try await resumer.next()["op"] == 1, "op 1 right after RESUMED")
            // The RESUME (the session's 2nd open) stopped the ACKs: the upstream answers, the bot gets nothing.
            try await resumer.send(op: 1, 1)
            try await harness.upstreamSink.wait { $0.frames.contains { $0.direction == .outbound && $0.op == 11 } }
            await #expect(throws: TestClientError.self, "no ACK") { try await resumer.next(timeout: .milliseconds(300)) }
            #expect(harness.sink.controls.filter { $0.action != "scenario" }.map(\.args) == [
                ["stop": false, "scenario": "closed"], ["stop": true, "scenario": "opened"], ["scenario": "resumed"],
            ])
        }
    }

    @Test func a429OnTheFirstForwardedReplyThenTheCallGoesUpstream() async throws {
        let rules = try Self.scenario("""
            rules: [{name: slow down, when: {rest: "POST /channels/{channel.id}/messages"}, do: [{rest_fault: {status: 429, retry_after: 0.5}}]}]
            """)
        try await ProxyHarness.run(scenario: rules) { harness in
            let url = "http://127.0.0.1:\(harness.port)/api/v10/channels/1100000000000000101/messages"
            let auth = [("Authorization", "Bot rest-bot"), ("Content-Type", "application/json")]
            let limited = try await httpRequest(.POST, url, headers: auth, body: #"{"content":"a"}"#)
            #expect(limited.status == 429)
            #expect(try JSONValue(parsing: limited.body)["retry_after"] == .double(0.5))
            let sent = try await httpRequest(.POST, url, headers: auth, body: #"{"content":"a"}"#)
            #expect(sent.status == 200, "the rule is spent: the next call is forwarded")
            try await harness.upstreamSink.wait { $0.calls.contains { $0.method == "POST" } }
            #expect(harness.upstreamSink.calls.count { $0.method == "POST" } == 1, "the faulted call never reached the upstream")
            #expect(harness.sink.calls.filter { $0.method == "POST" }.map(\.status) == [429, 200])
            let fault = try #require(harness.sink.controls.first { $0.action == "rest_fault" })
            #expect(fault.args["scenario"] == "slow down")
            #expect(fault.args["status"] == 429)
        }
    }

    @Test func scenariosThatMakeEventsAreRefusedInProxyMode() async throws {
        let dispatching = try Self.scenario("""
            rules:
              - {when: {client_op: 1}, do: [{stop_acks: true}]}
              - {name: fake, when: {client_op: 2}, do: [{wait_ms: 10}, {dispatch: {event: MESSAGE_CREATE, data: {}}}]}
            """)
        let error = #expect(throws: ScenarioError.self) {
            _ = try GatewayProxy(configuration: .init(server: .init(port: 0, scenario: dispatching)))
        }
        #expect(error?.description == "rule 2 \"fake\": do[1].dispatch: \(ControlAction.proxyRefusal)")
        try await ProxyHarness.run { harness in
            _ = try await harness.identify()
            let base = "http://127.0.0.1:\(harness.port)/api/control/sessions/\(try harness.proxySession())/scenario"
            let refused = try await httpRequest(.POST, base, body: #"{"rules": [{"when": {"client_op": 2}, "do": [{"interaction": {"data": {"name": "ping"}}}]}]}"#)
            #expect(refused.status == 400)
            #expect(try JSONValue(parsing: refused.body)["error"]?.stringValue == "rule 1: do[0].interaction: \(ControlAction.proxyRefusal)")
            let armed = try await httpRequest(.POST, base, body: #"{"rules": [{"when": {"client_op": 1}, "do": [{"stop_acks": true}]}]}"#)
            #expect(armed.status == 200)
            #expect(try JSONValue(parsing: armed.body) == ["rules": 1])
            let disarmed = try await httpRequest(.DELETE, base)
            #expect(try JSONValue(parsing: disarmed.body) == ["rules": 0])
        }
    }
}
