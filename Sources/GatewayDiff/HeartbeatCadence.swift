/// How regularly one side heartbeated: the heartbeats collapsed into a summary, so two sessions
/// compare by cadence rather than by how many heartbeats fit in each run.
///
/// Intervals are measured between consecutive heartbeats on the same connection; an interval that
/// ends in a heartbeat the server asked for (op 1 from the server) is left out.
public struct HeartbeatCadence: Sendable, Hashable {
    /// Heartbeats the bot sent (op 1, all connections).
    public var count: Int
    /// Intervals measured.
    public var intervals: Int
    /// Mean interval in milliseconds (`nil` without intervals).
    public var meanMs: Double?
    /// Standard deviation of the intervals in milliseconds (`nil` without intervals).
    public var jitterMs: Double?
    /// HELLO's `heartbeat_interval` (the first HELLO of the session), if any.
    public var helloIntervalMs: Double?
    /// Whether some connection stayed open longer than 1.5 × HELLO's interval, so the bot had to
    /// heartbeat on it.
    public var neededHeartbeats: Bool

    /// Creates a summary.
    public init(count: Int, intervals: Int, meanMs: Double?, jitterMs: Double?, helloIntervalMs: Double?, neededHeartbeats: Bool) {
        self.count = count
        self.intervals = intervals
        self.meanMs = meanMs
        self.jitterMs = jitterMs
        self.helloIntervalMs = helloIntervalMs
        self.neededHeartbeats = neededHeartbeats
    }

    /// A summary of `intervals` (milliseconds).
    static func summarising(count: Int, intervals: [Double], helloIntervalMs: Double?, neededHeartbeats: Bool) -> HeartbeatCadence {
        guard !intervals.isEmpty else {
            return HeartbeatCadence(
                count: count, intervals: 0, meanMs: nil, jitterMs: nil, helloIntervalMs: helloIntervalMs,
                neededHeartbeats: neededHeartbeats)
        }
        let mean = intervals.reduce(0, +) / Double(intervals.count)
        let variance = intervals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(intervals.count)
        return HeartbeatCadence(
            count: count, intervals: intervals.count, meanMs: mean, jitterMs: variance.squareRoot(),
            helloIntervalMs: helloIntervalMs, neededHeartbeats: neededHeartbeats)
    }

    /// Why the two cadences differ, or `nil` when they match within `tolerance`.
    ///
    /// Means and jitters are compared as fractions of each side's HELLO interval when both know
    /// it (so a replay at 10× speed, whose HELLO interval is a tenth, still matches), in
    /// milliseconds relative to A's mean otherwise. A side without any heartbeat differs from one
    /// with heartbeats only if it had to heartbeat.
    static func mismatch(_ a: HeartbeatCadence, _ b: HeartbeatCadence, tolerance: Double) -> String? {
        if a.count == 0 || b.count == 0 {
            if a.count == 0, b.count > 0, a.neededHeartbeats { return "A sent no heartbeat, B sent \(b.count)" }
            if b.count == 0, a.count > 0, b.neededHeartbeats { return "B sent no heartbeat, A sent \(a.count)" }
            return nil
        }
        guard let meanA = a.meanMs, let meanB = b.meanMs, let jitterA = a.jitterMs, let jitterB = b.jitterMs else {
            return nil
        }
        let scaleA: Double, scaleB: Double
        if let helloA = a.helloIntervalMs, let helloB = b.helloIntervalMs, helloA > 0, helloB > 0 {
            (scaleA, scaleB) = (helloA, helloB)
        } else {
            (scaleA, scaleB) = (meanA, meanA)
        }
        guard scaleA > 0, scaleB > 0 else { return nil }
        let meanGap = abs(meanA / scaleA - meanB / scaleB)
        if meanGap > tolerance {
            return "mean interval \(Format.ms(meanA)) vs \(Format.ms(meanB)) (differs by \(Format.percent(meanGap)) of the interval)"
        }
        let jitterGap = abs(jitterA / scaleA - jitterB / scaleB)
        if jitterGap > tolerance {
            return "jitter \(Format.ms(jitterA)) vs \(Format.ms(jitterB)) (differs by \(Format.percent(jitterGap)) of the interval)"
        }
        return nil
    }
}
