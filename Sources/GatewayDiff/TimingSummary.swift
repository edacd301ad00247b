/// One side's timing figures, printed side by side by the report (informative: timing never makes
/// two sessions differ, except the heartbeat cadence).
public struct TimingSummary: Sendable, Hashable {
    /// From the first HELLO to the IDENTIFY that followed it on the same connection.
    public var helloToIdentifyMs: Double?
    /// Heartbeat cadence (mean interval, jitter, counts).
    public var heartbeat: HeartbeatCadence
    /// For each connection that ended and was followed by another one on the same shard: from the
    /// close to the new connection.
    public var reconnectDelaysMs: [Double]
    /// For each of those reconnections that resumed: from the close to the RESUME.
    public var resumeDelaysMs: [Double]
    /// Frames the bot sent per minute, from its first frame to its last (`nil` for a single frame).
    public var commandsPerMinute: Double?
    /// Most frames the bot sent on one connection within any 60 s window (the gateway allows 120).
    public var maxCommandsIn60s: Int
    /// When the bot made its REST calls, in time order: milliseconds from the side's origin.
    public var restCallOffsetsMs: [Double]

    /// Creates a summary.
    public init(
        helloToIdentifyMs: Double?, heartbeat: HeartbeatCadence, reconnectDelaysMs: [Double], resumeDelaysMs: [Double],
        commandsPerMinute: Double?, maxCommandsIn60s: Int, restCallOffsetsMs: [Double] = []
    ) {
        self.helloToIdentifyMs = helloToIdentifyMs
        self.heartbeat = heartbeat
        self.reconnectDelaysMs = reconnectDelaysMs
        self.resumeDelaysMs = resumeDelaysMs
        self.commandsPerMinute = commandsPerMinute
        self.maxCommandsIn60s = maxCommandsIn60s
        self.restCallOffsetsMs = restCallOffsetsMs
    }
}
