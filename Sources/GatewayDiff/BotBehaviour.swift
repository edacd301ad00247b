import GatewayModel
import GatewayRecording

/// Everything one session of a bot did on the gateway, the input of ``BehaviourComparison``.
///
/// Holds the session's frames in both directions (the comparison looks at the bot's own frames,
/// direction `in`; the server's frames and the connections' closes feed the timing summary, the
/// snowflake aliases and the protocol hints), its connections and its REST calls. Build it from a
/// recording, or from live values (`replay --verify` collects the live bot's frames as
/// `StoredFrame`s and needs no file):
///
/// ```swift
/// let recorded = try BotBehaviour(reader: RecordingReader(path: "golden.sqlite"), sessionID: "1")
/// let live = BotBehaviour(frames: liveFrames, connections: liveConnections, http: liveCalls,
///                         originNs: liveReadyNs, label: "live bot")
/// let report = BehaviourComparison.compare(recorded, live)
/// ```
public struct BotBehaviour: Sendable {
    /// A name for the side in reports (`golden.sqlite session 1`).
    public var label: String
    /// Frames in wire order (ascending `id`), both directions.
    public var frames: [StoredFrame]
    /// The session's connections (closes, shard ids, gateway session ids).
    public var connections: [StoredConnection]
    /// REST calls the bot made, in time order.
    public var http: [StoredHTTPCall]
    /// Control and fault actions on the session (control API, scenarios), listed beside the comparison.
    public var controls: [StoredControl]
    /// The `t_ns` that time offsets in reports count from.
    public var originNs: Int64

    /// Creates a behaviour from values.
    /// - Parameters:
    ///   - frames: the session's frames, both directions, in wire order (as `RecordingReader.frames`
    ///     returns them).
    ///   - connections: its connections; may be empty (then shards come from IDENTIFY payloads and
    ///     closes are unknown).
    ///   - http: its REST calls.
    ///   - controls: the control and fault actions on it.
    ///   - originNs: time zero for offsets; default: the session's first frame, connection or call.
    ///   - label: the side's name in reports.
    public init(
        frames: [StoredFrame], connections: [StoredConnection] = [], http: [StoredHTTPCall] = [],
        controls: [StoredControl] = [], originNs: Int64? = nil, label: String = ""
    ) {
        self.frames = frames
        self.connections = connections
        self.http = http
        self.controls = controls
        self.label = label
        let starts = [frames.map(\.tNs).min(), connections.compactMap(\.openedNs).min(), http.map(\.tNs).min()]
        self.originNs = originNs ?? starts.compactMap { $0 }.min() ?? 0
    }

    /// The control and fault actions, timed from `originNs`, as reports list them.
    var faults: [ComparisonReport.Fault] {
        controls.map { .init(offsetNs: $0.tNs - originNs, action: $0.action, args: $0.args) }
    }

    /// Reads one session of a recording.
    /// - Parameters:
    ///   - reader: the open recording.
    ///   - sessionID: the session; `nil` picks the only or first one (by first event).
    ///   - label: the side's name in reports; default `FILE session ID`.
    /// - Throws: ``RecordingError``: `.sessionNotFound` for an unknown id or a recording without
    ///   sessions, and whatever reading the file throws.
    public init(reader: RecordingReader, sessionID: String? = nil, label: String? = nil) throws(RecordingError) {
        let id: String
        if let sessionID {
            id = try reader.session(sessionID).id
        } else {
            guard let first = try reader.sessions().first else {
                throw RecordingError(code: .sessionNotFound, path: reader.path, message: "\(reader.path) holds no session")
            }
            id = first.id
        }
        self.init(
            frames: try reader.frames(sessionID: id), connections: try reader.connections(sessionID: id),
            http: try reader.httpCalls(sessionID: id, includingUnassigned: false),
            controls: try reader.controls(sessionID: id, includingUnassigned: false),
            label: label ?? "\(reader.path) session \(id)")
    }
}
