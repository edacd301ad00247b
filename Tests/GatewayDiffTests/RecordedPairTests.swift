import GatewayDiff
import GatewayModel
import Testing

/// The discord.py recordings of recordings/diff/ (Tools/recordings/record_diff_pairs.py), each
/// compared with `baseline.sqlite`.
@Suite struct RecordedPairTests {
    @Test func identicalSettingsCompareEqual() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("baseline-rerun")))
        #expect(report.isEqual, "\(report.render(format: .text(color: false)))")
        #expect(report.firstDivergence == nil)
        #expect(report.equalSteps >= 3)
        #expect(report.a.timing.heartbeat.count >= 3 && report.b.timing.heartbeat.count >= 3)
    }

    @Test(arguments: ["baseline", "baseline-rerun", "intents", "presence", "sharded", "answers"])
    func recordingEqualsItself(_ name: String) throws {
        let side = try behaviour(recording(name))
        let report = BehaviourComparison.compare(side, side)
        #expect(report.isEqual)
        #expect(report.hints.isEmpty)
    }

    @Test func intentsDiffer() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("intents")))
        #expect(!report.isEqual)
        #expect(report.differences.count == 1)
        let first = try #require(report.firstDivergence)
        #expect(first.kind == .changed && first.label == "IDENTIFY")
        #expect(first.fields.map(\.pointer) == ["/d/intents"])
        let (a, b) = (first.fields[0].a?.int64Value ?? 0, first.fields[0].b?.int64Value ?? 0)
        #expect(a & ~b == 1 << 15, "only MESSAGE_CONTENT differs")
    }

    @Test func presenceDiffers() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("presence")))
        let first = try #require(report.firstDivergence)
        #expect(report.differences.count == 1)
        #expect(first.label == "IDENTIFY" && first.fields.map(\.pointer) == ["/d/presence"])
        #expect(first.fields[0].a == nil && first.fields[0].b?["status"] == "dnd")
    }

    @Test func presenceIgnoredCompareEqual() throws {
        let options = ComparisonOptions(ignore: [try JSONPointer("/d/presence")])
        let report = BehaviourComparison.compare(
            try behaviour(recording("baseline")), try behaviour(recording("presence")), options: options)
        #expect(report.isEqual)
    }

    @Test func shardingDiffers() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("sharded")))
        #expect(!report.isEqual)
        let first = try #require(report.firstDivergence)
        #expect(first.label == "IDENTIFY" && first.fields.map(\.pointer) == ["/d/shard"])
        let added = report.differences.filter { $0.kind == .added }
        #expect(added.contains { $0.lane == .shard(1) && $0.label == "IDENTIFY" })
        #expect(report.b.timing.heartbeat.count > report.a.timing.heartbeat.count)
        #expect(report.cadenceMismatch == nil, "two shards heartbeat at the same cadence as one")
    }

    @Test func answeringBotDiffers() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("answers")))
        #expect(report.differences.count == 1)
        let added = try #require(report.firstDivergence)
        #expect(added.kind == .added && added.lane == .rest)
        #expect(added.label == "POST /channels/{channel.id}/messages", "named by its route")
        // The reply goes to the channel the message came from: the alias the channel got when the
        // server announced it, not a fresh one.
        let path = added.b?.value["path"]?.stringValue ?? ""
        #expect(path.hasPrefix("/channels/<id-"))
        #expect(report.render(format: .text(color: false)).contains("POST /channels/{channel.id}/messages"))
        // When the bot called is in the timing summary.
        #expect(report.b.timing.restCallOffsetsMs.count == report.a.timing.restCallOffsetsMs.count + 1)
        #expect(report.render(format: .text(color: false)).contains("REST calls"))
    }

    @Test func timingSummaryOfARecording() throws {
        let report = BehaviourComparison.compare(try behaviour(recording("baseline")), try behaviour(recording("baseline-rerun")))
        let timing = report.a.timing
        #expect(timing.heartbeat.helloIntervalMs == 1000)
        let mean = try #require(timing.heartbeat.meanMs)
        #expect(abs(mean - 1000) < 100)
        #expect((timing.helloToIdentifyMs ?? -1) >= 0)
        #expect(timing.maxCommandsIn60s >= 4)
    }
}
