import GatewayModel

/// A row of `connections`: one WebSocket connection (one shard of a session).
public struct StoredConnection: Sendable, Hashable {
    /// `connections.id`.
    public var id: Int64
    /// `session_id`; `nil` until the connection identified (or never did).
    public var sessionID: String?
    /// `gateway_session_id`: READY's `session_id` (RESUME continues it).
    public var gatewaySessionID: String?
    /// `shard_id` (`nil` when the client sent no shard).
    public var shardID: Int?
    /// `shard_count`.
    public var shardCount: Int?
    /// `opened_ns`: when the connection was accepted.
    public var openedNs: Int64?
    /// `closed_ns`: when it ended (`nil` if still open when the recording stopped).
    public var closedNs: Int64?
    /// `close_code` (`nil` for a TCP drop or when not closed).
    public var closeCode: Int?
    /// `close_reason`.
    public var closeReason: String?
    /// `closed_by` as stored: `server`, `client` or `drop` when gatewaytape wrote it (see ``closedByValue``).
    public var closedBy: String?
    /// `query`: the request's query string.
    public var query: String?

    /// ``closedBy`` as a `ClosedBy` value (`nil` when NULL or unknown).
    public var closedByValue: ClosedBy? { closedBy.flatMap(ClosedBy.init(rawValue:)) }

    /// Creates a row value.
    public init(
        id: Int64, sessionID: String? = nil, gatewaySessionID: String? = nil, shardID: Int? = nil,
        shardCount: Int? = nil, openedNs: Int64? = nil, closedNs: Int64? = nil, closeCode: Int? = nil,
        closeReason: String? = nil, closedBy: String? = nil, query: String? = nil
    ) {
        self.id = id
        self.sessionID = sessionID
        self.gatewaySessionID = gatewaySessionID
        self.shardID = shardID
        self.shardCount = shardCount
        self.openedNs = openedNs
        self.closedNs = closedNs
        self.closeCode = closeCode
        self.closeReason = closeReason
        self.closedBy = closedBy
        self.query = query
    }
}

extension StoredConnection: RecordingRow {
    static let table = RecordingTable(
        "connections", lineKind: "connection",
        [
            .init("id", .integer), .init("session_id", .text), .init("gateway_session_id", .text),
            .init("shard_id", .integer), .init("shard_count", .integer), .init("opened_ns", .integer),
            .init("closed_ns", .integer), .init("close_code", .integer), .init("close_reason", .text),
            .init("closed_by", .text), .init("query", .text),
        ])

    init<Source: RowSource>(from row: inout Source) throws(RowError) {
        self.init(
            id: try row.requiredInteger(), sessionID: try row.text(), gatewaySessionID: try row.text(),
            shardID: try row.int(), shardCount: try row.int(), openedNs: try row.integer(), closedNs: try row.integer(),
            closeCode: try row.int(), closeReason: try row.text(), closedBy: try row.text(), query: try row.text())
    }

    func write<Sink: RowSink>(to row: inout Sink) {
        row.integer(id)
        row.text(sessionID)
        row.text(gatewaySessionID)
        row.int(shardID)
        row.int(shardCount)
        row.integer(openedNs)
        row.integer(closedNs)
        row.int(closeCode)
        row.text(closeReason)
        row.text(closedBy)
        row.text(query)
    }
}
