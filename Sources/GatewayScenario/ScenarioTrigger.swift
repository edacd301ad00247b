import GatewayModel

/// When a rule fires (`when`): every given field must hold. `afterMilliseconds` alone is a timer
/// from the session's first READY; with an event it is a condition on the event's time. `nth` is the
/// first occurrence of the event (counted per session) at which the rule fires.
public struct ScenarioTrigger: Sendable, Equatable {
    /// A connection event (`connection`).
    public enum ConnectionEvent: String, Sendable, CaseIterable {
        /// The connection sent its IDENTIFY or RESUME (the first moment it is known to be the session's),
        /// before that frame is answered.
        case open
        /// READY and its GUILD_CREATEs were queued on the connection.
        case identified
        /// The missed dispatches and RESUMED were queued on the connection.
        case resumed
        /// The connection closed (either side, or dropped).
        case closed
    }

    /// What a rule waits for besides time.
    public enum Event: Sendable, Equatable {
        case clientOp(Int)
        case dispatched(String)
        /// `METHOD ROUTE`, a route template of the REST subset.
        case rest(method: String, route: String)
        case connection(ConnectionEvent)
    }

    /// `after_ms`: milliseconds after the session's first READY.
    public var afterMilliseconds: Int64?
    /// `client_op`, `dispatched`, `rest` or `connection`.
    public var event: Event?
    /// `nth`: the occurrence of `event` at which the rule fires first (default 1).
    public var nth: Int

    public init(afterMilliseconds: Int64? = nil, event: Event? = nil, nth: Int = 1) {
        self.afterMilliseconds = afterMilliseconds
        self.event = event
        self.nth = nth
    }

    /// A trigger that fires by the clock alone.
    public var isTimer: Bool { event == nil }

    static let fields = ["after_ms", "client_op", "dispatched", "rest", "connection", "nth"]
    static let restMethods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    /// Parses `when`.
    /// - Throws: `FieldError` with the field below `when`.
    init(json: JSONValue) throws(FieldError) {
        guard case .object(let fields) = json else { throw FieldError("", "must be an object, e.g. {\"client_op\": 6}") }
        if let unknown = fields.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw FieldError(unknown, "unknown trigger (one of \(Self.fields.joined(separator: ", ")))")
        }
        var events: [(String, Event)] = []
        if let value = fields["after_ms"] {
            guard let ms = JSONField.integer(value), ms >= 0 else { throw FieldError("after_ms", "must be a number of milliseconds, 0 or more") }
            afterMilliseconds = ms
        }
        if let value = fields["client_op"] {
            let clients = GatewayOpcode.clientOpcodes.map(\.rawValue).sorted()
            guard let op = JSONField.integer(value), clients.contains(Int(op)) else {
                throw FieldError("client_op", "must be a client opcode (\(clients.map(String.init).joined(separator: ", ")))")
            }
            events.append(("client_op", .clientOp(Int(op))))
        }
        if let value = fields["dispatched"] {
            guard let name = value.stringValue, !name.isEmpty else {
                throw FieldError("dispatched", "must be a dispatch event name such as MESSAGE_CREATE")
            }
            events.append(("dispatched", .dispatched(name)))
        }
        if let value = fields["rest"] {
            let parts = value.stringValue?.split(separator: " ", maxSplits: 1).map(String.init) ?? []
            guard parts.count == 2, Self.restMethods.contains(parts[0]), parts[1].hasPrefix("/") else {
                throw FieldError("rest", "must be \"METHOD ROUTE\", e.g. \"POST /channels/{channel.id}/messages\"")
            }
            events.append(("rest", .rest(method: parts[0], route: parts[1])))
        }
        if let value = fields["connection"] {
            guard let name = value.stringValue, let kind = ConnectionEvent(rawValue: name) else {
                throw FieldError("connection", "must be one of open, identified, resumed, closed")
            }
            events.append(("connection", .connection(kind)))
        }
        if events.count > 1 {
            throw FieldError(events[1].0, "cannot be combined with \(events[0].0): one event per rule")
        }
        event = events.first?.1
        nth = 1
        if let value = fields["nth"] {
            guard let k = JSONField.integer(value), k >= 1, k <= Int64(Int32.max) else { throw FieldError("nth", "must be a positive integer") }
            guard event != nil else { throw FieldError("nth", "needs client_op, dispatched, rest or connection to count") }
            nth = Int(k)
        }
        guard event != nil || afterMilliseconds != nil else {
            throw FieldError("", "needs after_ms, client_op, dispatched, rest or connection")
        }
    }
}
