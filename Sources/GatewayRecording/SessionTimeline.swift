/// Everything that happened in one session, in order: connection opens and closes, frames, control
/// actions and REST calls (what `gatewaytape inspect --session` prints).
///
/// Frames keep wire order (`frames.id`); the other entries are placed among them by `t_ns`. At the
/// same instant an open, a control action or a REST call comes before the frames, a close after them.
/// Server-wide controls and REST calls (`session_id` NULL) are included when they fall within the
/// session's time span.
public struct SessionTimeline: Sendable {
    /// One entry of the timeline.
    public struct Entry: Sendable {
        /// What happened.
        public enum Kind: Sendable {
            /// A connection was accepted.
            case connectionOpened(StoredConnection)
            /// A frame crossed the wire.
            case frame(StoredFrame)
            /// A connection ended (`closeCode`, `closeReason`, `closedBy` tell how).
            case connectionClosed(StoredConnection)
            /// A control or fault action.
            case control(StoredControl)
            /// A REST call.
            case http(StoredHTTPCall)
        }

        /// `t_ns` of the entry (nanoseconds since the recording started).
        public var tNs: Int64
        /// What happened.
        public var kind: Kind
    }

    /// The session's figures.
    public let summary: SessionSummary
    /// `t_ns` of the session's first event: offsets are counted from here.
    public let originNs: Int64
    /// The entries in order.
    public let entries: [Entry]

    /// Reads one session's timeline.
    /// - Throws: ``RecordingError`` (`.sessionNotFound` for an unknown id).
    public init(reader: RecordingReader, sessionID: String) throws(RecordingError) {
        let summary = try reader.session(sessionID)
        self.summary = summary
        let first = summary.firstNs ?? 0
        let last = summary.lastNs ?? first
        originNs = first

        // Entries other than frames, with a rank that orders them around frames of the same instant.
        var others: [(entry: Entry, rank: Int, order: Int)] = []
        for connection in try reader.connections(sessionID: sessionID) {
            if let opened = connection.openedNs {
                others.append((Entry(tNs: opened, kind: .connectionOpened(connection)), 0, others.count))
            }
            if let closed = connection.closedNs {
                others.append((Entry(tNs: closed, kind: .connectionClosed(connection)), 2, others.count))
            }
        }
        for control in try reader.controls(sessionID: sessionID)
        where control.sessionID != nil || (first...last).contains(control.tNs) {
            others.append((Entry(tNs: control.tNs, kind: .control(control)), 0, others.count))
        }
        for call in try reader.httpCalls(sessionID: sessionID)
        where call.sessionID != nil || (first...last).contains(call.tNs) {
            others.append((Entry(tNs: call.tNs, kind: .http(call)), 0, others.count))
        }
        others.sort { a, b in
            if a.entry.tNs != b.entry.tNs { return a.entry.tNs < b.entry.tNs }
            if a.rank != b.rank { return a.rank < b.rank }
            return a.order < b.order
        }

        let frames = try reader.frames(sessionID: sessionID)
        var merged: [Entry] = []
        merged.reserveCapacity(frames.count + others.count)
        var next = others.startIndex
        for frame in frames {
            // Everything strictly earlier, and opens/controls/calls at the same instant, go first.
            while next < others.endIndex,
                others[next].entry.tNs < frame.tNs || (others[next].entry.tNs == frame.tNs && others[next].rank == 0)
            {
                merged.append(others[next].entry)
                next += 1
            }
            merged.append(Entry(tNs: frame.tNs, kind: .frame(frame)))
        }
        merged.append(contentsOf: others[next...].map(\.entry))
        entries = merged
    }

    /// Milliseconds from the session's first event to `tNs`.
    public func offsetMilliseconds(_ tNs: Int64) -> Double {
        Double(tNs - originNs) / 1_000_000
    }
}
