import Dispatch
import Synchronization

/// Compares what a bot did in two sessions: the engine behind `gatewaytape diff` and
/// `replay --verify`.
///
/// 1. Each side's client frames (heartbeats aside), client closes and REST calls become
///    ``BehaviourStep``s, normalised (SPEC §8: tokens, nonces, timestamps, heartbeat `d`, gateway
///    session ids and snowflakes as per-side aliases, IDENTIFY `properties` by key) with the
///    `--ignore` pointers removed, in lanes (one per shard, one for REST).
/// 2. The steps are aligned with Myers' O(N·D) diff over exact signatures; between two anchors,
///    steps of the same shape (lane and label) are paired as `changed`, with field-level
///    differences; the rest are `removed` (only in A) or `added` (only in B).
/// 3. Heartbeats are compared by cadence (mean interval and jitter within
///    ``ComparisonOptions/cadenceTolerance`` of HELLO's interval), not by count.
/// 4. Each side's timing summary and protocol hints are attached.
///
/// ```swift
/// let a = try BotBehaviour(reader: RecordingReader(path: "old.sqlite"))
/// let b = try BotBehaviour(reader: RecordingReader(path: "new.sqlite"))
/// let report = BehaviourComparison.compare(a, b, options: ComparisonOptions(ignore: [try JSONPointer("/d/presence")]))
/// if !report.isEqual { print(report.render(format: .text(color: false))) }
/// ```
public enum BehaviourComparison {
    /// Compares `a` (the reference: old version, or the recording) with `b` (new version, or the
    /// live bot).
    /// - Parameters:
    ///   - a: the reference side.
    ///   - b: the side compared with it.
    ///   - options: ignored fields, tolerances.
    /// - Returns: the report; ``ComparisonReport/isEqual`` is the verdict.
    public static func compare(_ a: BotBehaviour, _ b: BotBehaviour, options: ComparisonOptions = ComparisonOptions()) -> ComparisonReport {
        // The two sides are independent: prepare them on two cores.
        let prepared = Mutex<[PreparedBehaviour?]>([nil, nil])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let side = PreparedBehaviour(index == 0 ? a : b, side: index == 0 ? "a" : "b", options: options)
            prepared.withLock { $0[index] = side }
        }
        let (left, right) = prepared.withLock { ($0[0]!, $0[1]!) }

        var exactIDs: [PreparedBehaviour.StepKey: Int32] = [:]
        var shapeIDs: [String: Int32] = [:]
        func intern<Key: Hashable>(_ keys: [Key], _ table: inout [Key: Int32]) -> [Int32] {
            keys.map { key in
                if let id = table[key] { return id }
                let id = Int32(table.count)
                table[key] = id
                return id
            }
        }
        let exactA = intern(left.exactKeys, &exactIDs)
        let exactB = intern(right.exactKeys, &exactIDs)
        let shapeA = intern(left.shapeKeys, &shapeIDs)
        let shapeB = intern(right.shapeKeys, &shapeIDs)

        var differences: [StepDifference] = []
        var equalSteps = 0
        var nextA = 0
        var nextB = 0
        func gap(untilA endA: Int, untilB endB: Int) {
            let pairs = SequenceDiff.matches(shapeA[nextA..<endA], shapeB[nextB..<endB], maxCost: options.maxEditCost)
            for (i, j) in pairs {
                flush(untilA: i, untilB: j)
                let stepA = left.steps[i]
                let stepB = right.steps[j]
                differences.append(
                    StepDifference(kind: .changed, a: stepA, b: stepB, fields: FieldDifference.between(stepA.value, stepB.value)))
                nextA = i + 1
                nextB = j + 1
            }
            flush(untilA: endA, untilB: endB)
        }
        func flush(untilA endA: Int, untilB endB: Int) {
            while nextA < endA {
                differences.append(StepDifference(kind: .removed, a: left.steps[nextA], b: nil))
                nextA += 1
            }
            while nextB < endB {
                differences.append(StepDifference(kind: .added, a: nil, b: right.steps[nextB]))
                nextB += 1
            }
        }
        for (i, j) in SequenceDiff.matches(exactA[...], exactB[...], maxCost: options.maxEditCost) {
            if i > nextA || j > nextB { gap(untilA: i, untilB: j) }
            equalSteps += 1
            nextA = i + 1
            nextB = j + 1
        }
        gap(untilA: exactA.count, untilB: exactB.count)

        if let mismatch = HeartbeatCadence.mismatch(left.cadence, right.cadence, tolerance: options.cadenceTolerance) {
            differences.append(StepDifference(kind: .cadence, a: nil, b: nil, message: mismatch))
        }
        return ComparisonReport(
            a: .init(label: a.label, steps: left.steps.count, timing: left.timing, faults: a.faults),
            b: .init(label: b.label, steps: right.steps.count, timing: right.timing, faults: b.faults),
            equalSteps: equalSteps, differences: differences, hints: left.hints + right.hints,
            ignored: options.ignore.map(\.text), cadenceTolerance: options.cadenceTolerance)
    }
}
