/// A row of `controls`: a control or fault action (`stop_acks`, `disconnect`, `invalidate`, ...).
public struct StoredControl: Sendable, Hashable {
    /// `controls.id`.
    public var id: Int64
    /// `session_id` (`nil` for server-wide actions such as `heartbeat_interval`).
    public var sessionID: String?
    /// `t_ns` (a NULL reads as 0).
    public var tNs: Int64
    /// `action` (a NULL reads as empty).
    public var action: String
    /// `args`: the action's arguments as JSON text.
    public var args: String?

    /// Creates a row value.
    public init(id: Int64, sessionID: String?, tNs: Int64, action: String, args: String?) {
        self.id = id
        self.sessionID = sessionID
        self.tNs = tNs
        self.action = action
        self.args = args
    }
}

extension StoredControl: RecordingRow {
    static let table = RecordingTable(
        "controls", lineKind: "control",
        [.init("id", .integer), .init("session_id", .text), .init("t_ns", .integer), .init("action", .text), .init("args", .json)])

    init<Source: RowSource>(from row: inout Source) throws(RowError) {
        self.init(
            id: try row.requiredInteger(), sessionID: try row.text(), tNs: try row.requiredInteger(),
            action: try row.requiredText(), args: try row.text())
    }

    func write<Sink: RowSink>(to row: inout Sink) {
        row.integer(id)
        row.text(sessionID)
        row.integer(tNs)
        row.text(action)
        row.text(args)
    }
}
