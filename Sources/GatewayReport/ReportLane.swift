import GatewayRecording

/// One lane of the report's timeline: a connection (lanes of one shard follow each other), the REST
/// calls, or the control and fault actions.
public struct ReportLane: Sendable, Hashable {
    /// What the lane holds.
    public enum Kind: String, Sendable {
        /// One WebSocket connection's frames and its close.
        case connection
        /// The session's REST calls.
        case rest
        /// Control and fault actions.
        case controls
    }

    /// What the lane holds.
    public var kind: Kind
    /// Its label: `connection 3`, `REST`, `controls & faults`.
    public var label: String
    /// The group it is drawn under: `shard 0` for connections, else empty.
    public var group: String
    /// The connection (connection lanes).
    public var connection: StoredConnection?
    /// The connection's shard (connection lanes).
    public var shard: Int?

    /// Creates a lane.
    public init(kind: Kind, label: String, group: String = "", connection: StoredConnection? = nil, shard: Int? = nil) {
        self.kind = kind
        self.label = label
        self.group = group
        self.connection = connection
        self.shard = shard
    }

    /// How the connection ended, for people: `4000 by client (reason)`, `dropped`, `open at the end`
    /// (`nil` for lanes that are not connections).
    public var closeSummary: String? {
        guard let connection else { return nil }
        guard connection.closedNs != nil || connection.closeCode != nil || connection.closedBy != nil else {
            return "open at the end"
        }
        var text = connection.closeCode.map(String.init) ?? (connection.closedBy == "drop" ? "dropped" : "closed")
        if let by = connection.closedBy, by != "drop" { text += " by \(by)" }
        if let reason = connection.closeReason, !reason.isEmpty { text += " (\(reason))" }
        return text
    }
}
