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
