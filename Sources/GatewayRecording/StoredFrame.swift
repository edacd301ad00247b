import GatewayModel

/// A row of `frames`: one gateway message as it crossed the wire.
///
/// `payload` holds the exact bytes of the stored text (never re-encoded): parse it for comparisons,
/// copy it for replays.
public struct StoredFrame: Sendable, Hashable {
    /// `frames.id`; ascending ids are wire order.
    public var id: Int64
    /// `connection_id`.
    public var connectionID: Int64?
    /// `session_id` as stored (`nil` for frames before the connection identified).
    public var sessionID: String?
    /// `t_ns`: nanoseconds since the recording started (a NULL reads as 0).
    public var tNs: Int64
    /// `direction`: `.inbound` is client → server (`in`), `.outbound` server → client (`out`).
    public var direction: FrameDirection
    /// `op`.
    public var op: Int?
    /// `seq` (dispatches only).
    public var seq: Int64?
    /// `event`: the dispatch name (`t`), for op 0.
    public var event: String?
    /// `payload`: the frame's JSON text, byte for byte (a NULL reads as empty).
    public var payload: [UInt8]
    /// `wire_bytes`: the size on the wire (compressed when transport compression was on).
    public var wireBytes: Int?
    /// `cause_http_id`: for a dispatch sent because of a REST call, that call's `http.id` (`nil` otherwise,
    /// and in files that lack the column).
    public var causeHTTPID: Int64?

    /// The payload as a `String` (invalid UTF-8, which a text frame cannot hold, would be repaired).
    public var payloadText: String { String(decoding: payload, as: UTF8.self) }

    /// Creates a row value.
    public init(
        id: Int64, connectionID: Int64?, sessionID: String?, tNs: Int64, direction: FrameDirection, op: Int?,
        seq: Int64?, event: String?, payload: [UInt8], wireBytes: Int?, causeHTTPID: Int64? = nil
    ) {
        self.id = id
        self.connectionID = connectionID
        self.sessionID = sessionID
        self.tNs = tNs
        self.direction = direction
        self.op = op
        self.seq = seq
        self.event = event
        self.payload = payload
        self.wireBytes = wireBytes
        self.causeHTTPID = causeHTTPID
    }
}
