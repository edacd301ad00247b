import Foundation
import GatewayDiff
import GatewayModel
import Testing

/// The JSON report parses and carries the documented fields; the text report marks what differs.
@Suite struct ReportFormatTests {
    @Test func jsonHasTheDocumentedFields() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("intents")))
        let json = try JSONValue(parsing: report.render(format: .json))
        #expect(json["format"] == "gatewaytape-diff/1")
        #expect(json["equal"] == false)
        for side in ["a", "b"] {
            let value = try #require(json[side])
            #expect(value["label"]?.stringValue != nil && value["steps"]?.int64Value != nil)
            let timing = try #require(value["timing"])
            for key in ["hello_to_identify_ms", "reconnect_delays_ms", "resume_delays_ms", "commands_per_minute", "max_commands_in_60s", "rest_call_offsets_ms"] {
                #expect(timing[key] != nil, "timing.\(key)")
            }
            for key in ["count", "intervals", "mean_ms", "jitter_ms", "hello_interval_ms"] {
                #expect(timing["heartbeat"]?[key] != nil, "timing.heartbeat.\(key)")
            }
        }
        let summary = try #require(json["summary"])
        #expect(summary["changed"] == 1 && summary["added"] == 0 && summary["removed"] == 0 && summary["cadence_differs"] == false)
        #expect(summary["equal_steps"]?.int64Value != nil)
        let first = try #require(json["first_divergence"])
        #expect(first["kind"] == "changed" && first["step"] == "IDENTIFY" && first["lane"] == "shard 0")
        #expect(first["index_a"]?.int64Value != nil && first["index_b"]?.int64Value != nil)
        #expect(first["t_a_ms"]?.isNull == false && first["t_b_ms"]?.isNull == false)
        #expect(first["frame_a"]?["d"]?["token"] == "<token>")
        let field = try #require(first["fields"]?.arrayValue?.first)
        #expect(field["pointer"] == "/d/intents" && field["in_a"] == true && field["in_b"] == true)
        #expect(json["differences"]?.arrayValue?.count == 1)
        #expect(json["heartbeat_cadence"]?["equal"] == true)
        #expect(json["hints"]?.arrayValue != nil && json["ignored"]?.arrayValue != nil)
    }

    @Test func jsonOfEqualSessions() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("baseline-rerun")))
        let json = try JSONValue(parsing: report.render(format: .json))
        #expect(json["equal"] == true && json["first_divergence"] == .null && json["differences"] == [])
    }

    @Test func textColoursOnlyWhenAsked() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("presence")))
        let plain = report.render(format: .text(color: false))
        #expect(!plain.contains("\u{1B}["))
        #expect(plain.contains("DIFFERENT") && plain.contains("First divergence") && plain.contains("> "))
        #expect(plain.contains("/d/presence"))
        #expect(report.render(format: .text(color: true)).contains("\u{1B}[31m"))
    }

    @Test func faultsOfEachSideAreListedWithTheScenarioRule() async throws {
        var faulted = CraftedSession.healthy()
        faulted.control(at: 2000, "disconnect", args: #"{"code":4000,"reason":null,"scenario":"cut"}"#)
        let report = try await HintTests.hints(CraftedSession.healthy(), faulted)
        #expect(report.a.faults.isEmpty)
        #expect(report.b.faults.map(\.action) == ["disconnect"])
        let text = report.render(format: .text(color: false))
        #expect(text.contains("Faults"))
        #expect(text.contains(#"  B +2.000 s disconnect {"code":4000,"reason":null,"scenario":"cut"}"#), "\(text)")
        let json = try JSONValue(parsing: report.render(format: .json))
        #expect(json["a"]?["faults"] == [])
        let fault = try #require(json["b"]?["faults"]?.arrayValue?.first)
        #expect(fault["t_ms"]?.int64Value == 2000 && fault["action"] == "disconnect")
        #expect(fault["args"] == ["code": 4000, "reason": nil, "scenario": "cut"])
    }
}
