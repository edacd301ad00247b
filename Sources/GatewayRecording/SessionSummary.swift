/// One session of a recording with the figures `inspect` lists.
///
/// A session's frames are those with its `session_id` plus the frames with a NULL `session_id` on
/// its connections (HELLO and IDENTIFY cross the wire before the connection belongs to a session).
public struct SessionSummary: Sendable, Hashable {
    /// The session's id.
    public var id: String
    /// The `sessions` row; `nil` when the id appears only in `connections` or `frames`.
    public var session: StoredSession?
    /// Connections (`connections.session_id`) of the session.
    public var connectionCount: Int
    /// Frames of the session (see above).
    public var frameCount: Int
    /// `t_ns` of the session's first event (frame, connection open/close, control, REST call).
    public var firstNs: Int64?
    /// `t_ns` of its last event.
    public var lastNs: Int64?
    /// Close codes of its connections in connection order (connections without a code are left out).
    public var closeCodes: [Int]

    /// `lastNs - firstNs`, 0 when the session has no timed event.
    public var durationNs: Int64 {
        guard let firstNs, let lastNs else { return 0 }
        return lastNs - firstNs
    }

    /// Creates a summary.
    public init(
        id: String, session: StoredSession?, connectionCount: Int, frameCount: Int, firstNs: Int64?, lastNs: Int64?,
        closeCodes: [Int]
    ) {
        self.id = id
        self.session = session
        self.connectionCount = connectionCount
        self.frameCount = frameCount
        self.firstNs = firstNs
        self.lastNs = lastNs
        self.closeCodes = closeCodes
    }
}
