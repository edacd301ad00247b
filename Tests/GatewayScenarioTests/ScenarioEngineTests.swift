import GatewayModel
import GatewayScenario
import Testing

/// The engine without sockets: events in, firings out, times in nanoseconds.
struct ScenarioEngineTests {
    private let ms: UInt64 = 1_000_000

    private func engine(_ text: String, readyAt: UInt64? = nil) throws -> ScenarioEngine {
        ScenarioEngine(scenario: try Scenario(parsing: Array(text.utf8)), readyAt: readyAt)
    }

    private func rules(_ firings: [ScenarioEngine.Firing]) -> [String] { firings.map(\.rule) }

    @Test func nthFiresAtTheKthOccurrenceOnce() throws {
        var engine = try engine("rules: [{name: zombie, when: {client_op: 1, nth: 3}, do: [{stop_acks: true}]}]")
        #expect(rules(engine.observe(.clientOp(1), at: 0)).isEmpty)
        #expect(rules(engine.observe(.clientOp(2), at: 0)).isEmpty)
        #expect(rules(engine.observe(.clientOp(1), at: 0)).isEmpty)
        let third = engine.observe(.clientOp(1), at: 0)
        #expect(third == [ScenarioEngine.Firing(rule: "zombie", steps: [.action(.stopAcks(true))])])
        #expect(engine.observe(.clientOp(1), at: 0).isEmpty)
    }

    @Test func timesCountsFiringsFromTheNth() throws {
        var engine = try engine("rules: [{when: {client_op: 2}, do: [{disconnect: {code: 4000}}], times: 2}]")
        #expect(rules(engine.observe(.clientOp(2), at: 0)) == ["1"])
        #expect(rules(engine.observe(.clientOp(2), at: 0)) == ["1"])
        #expect(rules(engine.observe(.clientOp(2), at: 0)).isEmpty)

        var always = try self.engine("rules: [{when: {dispatched: MESSAGE_CREATE, nth: 2}, do: [{drop: {}}], times: always}]")
        let fired = (1...6).map { _ in always.observe(.dispatched("MESSAGE_CREATE"), at: 0).count }
        #expect(fired == [0, 1, 1, 1, 1, 1])
    }

    @Test func everyRuleThatMatchesFiresInDocumentOrder() throws {
        var engine = try engine("""
            rules:
              - {name: a, when: {connection: identified}, do: [{reconnect: {}}]}
              - {name: b, when: {connection: resumed}, do: [{reconnect: {}}]}
              - {name: c, when: {connection: identified}, do: [{drop: {}}]}
            """)
        #expect(rules(engine.observe(.connection(.identified), at: 0)) == ["a", "c"])
        #expect(rules(engine.observe(.connection(.resumed), at: 0)) == ["b"])
        #expect(rules(engine.observe(.connection(.closed), at: 0)).isEmpty)
    }

    @Test func restMatchesMethodAndRouteTemplate() throws {
        var engine = try engine(#"rules: [{when: {rest: "POST /channels/{channel.id}/messages", nth: 2}, do: [{rest_fault: {status: 429}}]}]"#)
        #expect(engine.observe(.rest(method: "GET", route: "/channels/{channel.id}/messages"), at: 0).isEmpty)
        #expect(engine.observe(.rest(method: "POST", route: "/channels/{channel.id}/messages"), at: 0).isEmpty)
        #expect(engine.observe(.rest(method: "post", route: "/channels/{channel.id}/messages"), at: 0).count == 1)
    }

    @Test func afterMsAloneIsATimerFromTheFirstReadyThatRepeatsWhileTimesLast() throws {
        var engine = try engine("rules: [{when: {after_ms: 100}, do: [{reconnect: {}}], times: 3}]")
        #expect(engine.nextDeadline == nil)
        engine.ready(at: 1_000 * ms)
        engine.ready(at: 5_000 * ms)  // only the first READY counts
        #expect(engine.nextDeadline == 1_100 * ms)
        #expect(engine.fireTimers(at: 1_099 * ms).isEmpty)
        #expect(engine.fireTimers(at: 1_100 * ms).count == 1)
        #expect(engine.nextDeadline == 1_200 * ms)
        #expect(engine.fireTimers(at: 1_250 * ms).count == 1)
        #expect(engine.fireTimers(at: 1_300 * ms).count == 1)
        #expect(engine.nextDeadline == nil)
        #expect(engine.fireTimers(at: 9_000 * ms).isEmpty)
    }

    @Test func afterMsWithAnEventIsAConditionOnItsTime() throws {
        var engine = try engine("rules: [{when: {client_op: 1, after_ms: 500}, do: [{drop: {}}]}]")
        // Before READY the time condition cannot hold, but the heartbeat still counts.
        #expect(engine.observe(.clientOp(1), at: 0).isEmpty)
        engine.ready(at: 1_000 * ms)
        #expect(engine.nextDeadline == nil)
        #expect(engine.observe(.clientOp(1), at: 1_400 * ms).isEmpty)
        #expect(engine.observe(.clientOp(1), at: 1_500 * ms).count == 1)
    }

    @Test func armedAfterReadyCountsFromThatReady() throws {
        var engine = try engine("rules: [{when: {after_ms: 2000}, do: [{drop: {}}]}]", readyAt: 10_000 * ms)
        #expect(engine.nextDeadline == 12_000 * ms)
        #expect(engine.fireTimers(at: 12_000 * ms).count == 1)
    }

    @Test func watchesDispatchesOnlyWhileADispatchRuleIsLive() throws {
        var engine = try engine("rules: [{when: {dispatched: READY}, do: [{drop: {}}]}, {when: {client_op: 1}, do: [{drop: {}}]}]")
        #expect(engine.watchesDispatches)
        _ = engine.observe(.dispatched("READY"), at: 0)
        #expect(!engine.watchesDispatches)
        #expect(try !self.engine("rules: [{when: {client_op: 1}, do: [{drop: {}}]}]").watchesDispatches)
    }
}
