/// What ``BehaviourComparison`` finds in one side on its own: the timing summary (heartbeat cadence
/// included), the protocol hints, the shard of each connection and the route of each REST call, as
/// `gatewaytape report` shows them for a single session.
///
/// ```swift
/// let behaviour = try BotBehaviour(reader: RecordingReader(path: "run.sqlite"))
/// let analysis = BehaviourAnalysis(behaviour)
/// print(analysis.timing.heartbeat.meanMs as Any, analysis.hints.map(\.message))
/// ```
public struct BehaviourAnalysis: Sendable {
    /// Timing figures: HELLO → IDENTIFY, heartbeat cadence, reconnect and resume delays.
    public let timing: TimingSummary
    /// Known protocol mistakes (side `"a"`), as `diff` reports them.
    public let hints: [ProtocolHint]
    /// The shard of each connection (the connections table, else IDENTIFY's `shard`, else the shard of
    /// the gateway session it resumed), as `diff` assigns lanes.
    public let shardOfConnection: [Int64: Int]

    /// Analyses one session.
    public init(_ behaviour: BotBehaviour) {
        let prepared = PreparedBehaviour(behaviour, side: "a", options: ComparisonOptions())
        timing = prepared.timing
        hints = prepared.hints
        var shards: [Int64: Int] = [:]
        for track in prepared.tracks {
            if let id = track.id { shards[id] = track.lane }
        }
        shardOfConnection = shards
    }

    /// A REST call's route as `diff` labels REST steps: the method and the path with snowflake
    /// segments replaced by `{id}` and the query left out (`POST /api/v10/channels/{id}/messages`).
    public static func routeLabel(method: String, path: String) -> String {
        var normaliser = Normaliser()
        return "\(method) \(normaliser.normalisePath(path).shape)"
    }
}
