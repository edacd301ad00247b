import GatewayModel

/// One thing the bot did, as the comparison sees it: a client frame other than a heartbeat, a REST
/// call, or a close the client initiated.
public struct BehaviourStep: Sendable, Hashable {
    /// What kind of step.
    public enum Kind: String, Sendable, Hashable {
        /// A gateway frame from the bot (`value` is the whole normalised frame).
        case frame
        /// A REST call (`value` is `{method, path, body}`, normalised).
        case rest
        /// The bot closed a connection (`value` is `{close: code}`).
        case close
    }

    /// Position in its side's step list (0-based; lanes follow each other: shards by id, then rest).
    public var index: Int
    /// The lane (shard or rest).
    public var lane: StepLane
    /// The kind.
    public var kind: Kind
    /// A short name: `IDENTIFY`, `RESUME`, `OP_5`, `POST /channels/{id}/messages`, `CLOSE 1000`.
    public var label: String
    /// `t_ns` of the frame, call or close.
    public var tNs: Int64
    /// Nanoseconds since the side's origin.
    public var offsetNs: Int64
    /// The connection (frames and closes).
    public var connectionID: Int64?
    /// The normalised value that is compared (aliases, placeholders, `--ignore`d fields removed).
    public var value: JSONValue

    /// Creates a step.
    public init(
        index: Int, lane: StepLane, kind: Kind, label: String, tNs: Int64, offsetNs: Int64, connectionID: Int64?,
        value: JSONValue
    ) {
        self.index = index
        self.lane = lane
        self.kind = kind
        self.label = label
        self.tNs = tNs
        self.offsetNs = offsetNs
        self.connectionID = connectionID
        self.value = value
    }
}
