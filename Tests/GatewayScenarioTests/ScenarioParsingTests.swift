import Foundation
import GatewayModel
import GatewayScenario
import Testing

struct ScenarioParsingTests {
    private func parse(_ text: String) throws(ScenarioError) -> Scenario { try Scenario(parsing: Array(text.utf8)) }

    @Test func readsJSON() throws {
        let scenario = try parse(#"""
            {"name": "resume refused", "rules": [
              {"when": {"client_op": 6}, "do": [{"invalid_session": {"resumable": false}}]},
              {"name": "zombie", "when": {"client_op": 1, "nth": 3}, "do": [{"stop_acks": true}], "times": "always"}
            ]}
            """#)
        #expect(scenario.name == "resume refused")
        #expect(scenario.rules.count == 2)
        #expect(scenario.rules[0].trigger == ScenarioTrigger(event: .clientOp(6)))
        #expect(scenario.rules[0].steps == [.action(.invalidSession(resumable: false))])
        #expect(scenario.rules[0].times == .count(1))
        #expect(scenario.rules[0].label == "1")
        #expect(scenario.rules[1].trigger == ScenarioTrigger(event: .clientOp(1), nth: 3))
        #expect(scenario.rules[1].times == .always)
        #expect(scenario.rules[1].label == "zombie")
    }

    @Test func readsYAMLWithCommentsAndEveryTriggerAndAction() throws {
        let scenario = try parse("""
            # every trigger kind and action
            name: all
            rules:
              - when: {after_ms: 1500}
                do: [{reconnect: {}}]
                times: 3
              - when: {dispatched: GUILD_CREATE, nth: 2}
                do:
                  - disconnect: {code: 4000, reason: bye}
                  - wait_ms: 250
                  - drop: {}
              - when: {rest: "POST /channels/{channel.id}/messages"}
                do: [{rest_fault: {status: 429, retry_after: 1.5}}]
              - when: {connection: resumed, nth: 1, after_ms: 10}
                do:
                  - invalidate: {}
                  - heartbeat_request: {}
                  - stop_acks: {stop: false}
                  - dispatch: {event: MESSAGE_CREATE, data: {content: hi, id: "1"}, guild_id: "1099511627776000000"}
                  - interaction: {data: {name: ping}}
            """)
        #expect(scenario.rules.count == 4)
        #expect(scenario.rules[0].trigger == ScenarioTrigger(afterMilliseconds: 1500))
        #expect(scenario.rules[0].times == .count(3))
        #expect(scenario.rules[1].steps == [
            .action(.disconnect(code: 4000, reason: "bye")), .wait(milliseconds: 250), .action(.drop),
        ])
        #expect(scenario.rules[2].trigger.event == .rest(method: "POST", route: "/channels/{channel.id}/messages"))
        #expect(scenario.rules[2].steps == [.action(.restFault(["status": 429, "retry_after": .double(1.5)]))])
        #expect(scenario.rules[3].trigger == ScenarioTrigger(afterMilliseconds: 10, event: .connection(.resumed)))
        #expect(scenario.rules[3].steps == [
            .action(.invalidate), .action(.heartbeatRequest), .action(.stopAcks(false)),
            .action(.dispatch(event: "MESSAGE_CREATE", data: ["content": "hi", "id": "1"], guildID: "1099511627776000000")),
            .action(.interaction(["data": ["name": "ping"]])),
        ])
    }

    /// Each bad field is refused with the rule (number and name) and the field's path.
    @Test(arguments: [
        (#"{"rules": [{"when": {"client_op": 9}, "do": [{"drop": {}}]}]}"#, "rule 1: when.client_op: must be a client opcode"),
        (#"{"rules": [{"when": {"client_op": "6"}, "do": [{"drop": {}}]}]}"#, "rule 1: when.client_op:"),
        (#"{"rules": [{"when": {"client_opp": 6}, "do": [{"drop": {}}]}]}"#, "rule 1: when.client_opp: unknown trigger"),
        (#"{"rules": [{"when": {}, "do": [{"drop": {}}]}]}"#, "rule 1: when: needs after_ms"),
        (#"{"rules": [{"when": {"after_ms": -1}, "do": [{"drop": {}}]}]}"#, "rule 1: when.after_ms: must be a number"),
        (#"{"rules": [{"when": {"after_ms": 5, "nth": 2}, "do": [{"drop": {}}]}]}"#, "rule 1: when.nth: needs client_op"),
        (#"{"rules": [{"when": {"client_op": 1, "nth": 0}, "do": [{"drop": {}}]}]}"#, "rule 1: when.nth: must be a positive integer"),
        (#"{"rules": [{"when": {"client_op": 1, "dispatched": "READY"}, "do": [{"drop": {}}]}]}"#, "rule 1: when.dispatched: cannot be combined with client_op"),
        (#"{"rules": [{"when": {"dispatched": 3}, "do": [{"drop": {}}]}]}"#, "rule 1: when.dispatched: must be a dispatch event name"),
        (#"{"rules": [{"when": {"rest": "FETCH /x"}, "do": [{"drop": {}}]}]}"#, "rule 1: when.rest: must be \"METHOD ROUTE\""),
        (#"{"rules": [{"when": {"connection": "opened"}, "do": [{"drop": {}}]}]}"#, "rule 1: when.connection: must be one of open"),
        (#"{"rules": [{"when": {"client_op": 2}}]}"#, "rule 1: do: required"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": []}]}"#, "rule 1: do: required"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"wait_ms": 5}]}]}"#, "rule 1: do: needs at least one action"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"explode": {}}]}]}"#, "rule 1: do[0].explode: unknown action \"explode\""),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"drop": {}, "reconnect": {}}]}]}"#, "rule 1: do[0]: must be an object with one action"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"disconnect": {"code": 99}}]}]}"#, "rule 1: do[0].disconnect.code: required, an integer close code from 1000 to 4999"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"disconnect": {"code": 4000, "reason": 5}}]}]}"#, "rule 1: do[0].disconnect.reason: must be a string"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"invalid_session": {}}]}]}"#, "rule 1: do[0].invalid_session.resumable: required"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"stop_acks": "yes"}]}]}"#, "rule 1: do[0].stop_acks: must be an object"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"dispatch": {"data": {}}}]}]}"#, "rule 1: do[0].dispatch.event: required"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"dispatch": {"event": "X"}}]}]}"#, "rule 1: do[0].dispatch.data: required"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"interaction": {"data": {}}}]}]}"#, "rule 1: do[0].interaction.data.name: required"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"rest_fault": {"status": 42}}]}]}"#, "rule 1: do[0].rest_fault.status: required"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"rest_fault": {"status": 429, "retry_after": "1"}}]}]}"#, "rule 1: do[0].rest_fault.retry_after: must be a number"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"wait_ms": -5}, {"drop": {}}]}]}"#, "rule 1: do[0].wait_ms: must be a number"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"drop": {}}], "times": 0}]}"#, "rule 1: times: must be a positive integer or \"always\""),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"drop": {}}], "times": "often"}]}"#, "rule 1: times: must be a positive integer"),
        (#"{"rules": [{"when": {"after_ms": 0}, "do": [{"drop": {}}], "times": "always"}]}"#, "rule 1: when.after_ms: must be at least 1"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"drop": {}}], "tiems": 2}]}"#, "rule 1: tiems: unknown field"),
        (#"{"rules": [{"name": 7, "when": {"client_op": 2}, "do": [{"drop": {}}]}]}"#, "rule 1: name: must be a string"),
        (#"{"rules": [{"when": {"client_op": 2}, "do": [{"drop": {}}]}, {"name": "second", "when": {"client_op": 77}, "do": [{"drop": {}}]}]}"#, "rule 2 \"second\": when.client_op:"),
        (#"{"rule": []}"#, "rule: unknown field"),
        (#"{"name": "x"}"#, "rules: required"),
        (#"{"rules": [3]}"#, "rule 1: must be an object"),
        (#"{"rules": [ "#, "not valid JSON"),
        ("rules: [\n  - when: {client_op: 6\n", "not valid YAML or JSON: line"),
        ("- just\n- a list\n", "must be an object {name?, rules"),
    ])
    func refusesBadDocuments(text: String, expected: String) {
        #expect {
            try parse(text)
        } throws: { error in
            (error as? ScenarioError)?.description.hasPrefix(expected) == true
        }
    }

    @Test func yamlScalarsKeepTheirTypes() throws {
        // `times: "3"` quoted is a string in YAML, hence refused; unquoted is an integer.
        #expect(throws: ScenarioError.self) { try parse("rules: [{when: {client_op: 1}, do: [{drop: {}}], times: \"3\"}]") }
        #expect(try parse("rules: [{when: {client_op: 1}, do: [{drop: {}}], times: 3}]").rules[0].times == .count(3))
        #expect(try parse("rules: [{when: {client_op: 1}, do: [{stop_acks: yes}]}]").rules[0].steps == [.action(.stopAcks(true))])
    }

    @Test func controlActionsRecordTheControlAPIsBody() throws {
        #expect(try ControlAction(name: "disconnect", body: ["code": 4000]).arguments == ["code": 4000, "reason": nil])
        #expect(try ControlAction(name: "stop_acks", body: [:]) == .stopAcks(true))
        #expect(ControlAction.invalidSession(resumable: false).replacesAnswer)
        #expect(!ControlAction.stopAcks(true).replacesAnswer)
        #expect(throws: FieldError("code", "required, an integer close code from 1000 to 4999")) {
            try ControlAction(name: "disconnect", body: ["code": "4000"])
        }
    }
}

/// The commented examples in recordings/scenarios/ that users copy.
struct ExampleScenarioTests {
    @Test(arguments: [
        ("resume-refused.yaml", [ScenarioTrigger(afterMilliseconds: 2000), ScenarioTrigger(event: .clientOp(6))]),
        ("zombie-after-heartbeats.yaml", [ScenarioTrigger(event: .clientOp(1), nth: 3), ScenarioTrigger(event: .connection(.resumed))]),
        ("identify-rejected-twice.yaml", [ScenarioTrigger(event: .clientOp(2))]),
        ("rate-limited-first-reply.yaml", [ScenarioTrigger(event: .rest(method: "POST", route: "/channels/{channel.id}/messages"))]),
        ("reconnect-storm.yaml", [ScenarioTrigger(event: .connection(.identified)), ScenarioTrigger(event: .connection(.resumed))]),
    ])
    func exampleParses(file: String, triggers: [ScenarioTrigger]) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try #require(FileManager.default.contents(atPath: root.appendingPathComponent("recordings/scenarios/" + file).path))
        let scenario = try Scenario(parsing: [UInt8](data))
        #expect(scenario.rules.map(\.trigger) == triggers)
        #expect(scenario.rules.allSatisfy { $0.name != nil })
    }
}
