import GatewayModel

/// A control call of the control API by name, with its body: what a scenario rule does and what a
/// control route performs. `name` is the action as recorded in `controls.action`.
public enum ControlAction: Sendable, Equatable {
    /// Close with a code (1000–4999) and an optional reason.
    case disconnect(code: UInt16, reason: String?)
    /// Stop (or resume) acknowledging heartbeats.
    case stopAcks(Bool)
    /// The next RESUME is answered with op 9 `d: false`.
    case invalidate
    /// op 7 RECONNECT.
    case reconnect
    /// op 9 INVALID_SESSION; `resumable: false` also invalidates.
    case invalidSession(resumable: Bool)
    /// Cut TCP with no close frame.
    case drop
    /// op 1 from the server.
    case heartbeatRequest
    /// A dispatch through `dispatchToSession`.
    case dispatch(event: String, data: JSONValue, guildID: String?)
    /// An INTERACTION_CREATE built from this body (the control API's `interactions` body).
    case interaction(JSONValue)
    /// A REST fault with this body (the control API's `rest-faults` body).
    case restFault(JSONValue)

    /// Every action name, as scenarios spell them.
    public static let names = [
        "disconnect", "stop_acks", "invalidate", "reconnect", "invalid_session", "drop", "heartbeat_request", "dispatch",
        "interaction", "rest_fault",
    ]

    /// The name recorded in `controls.action` (and used in scenarios).
    public var name: String {
        switch self {
        case .disconnect: "disconnect"
        case .stopAcks: "stop_acks"
        case .invalidate: "invalidate"
        case .reconnect: "reconnect"
        case .invalidSession: "invalid_session"
        case .drop: "drop"
        case .heartbeatRequest: "heartbeat_request"
        case .dispatch: "dispatch"
        case .interaction: "interaction"
        case .restFault: "rest_fault"
        }
    }

    /// Whether the action, done on a connection while one of its frames is being answered, takes the
    /// place of that answer (the connection closes, or gets op 9).
    public var replacesAnswer: Bool {
        switch self {
        case .disconnect, .drop, .invalidSession: true
        default: false
        }
    }

    /// Whether the action makes gateway events of its own (`dispatch`, `interaction`): refused in proxy
    /// mode, where the upstream owns the session's events and sequence numbers.
    public var makesEvents: Bool {
        switch self {
        case .dispatch, .interaction: true
        default: false
        }
    }

    /// Why a proxy refuses an action that `makesEvents` (the control API's 409, a scenario's error).
    public static let proxyRefusal = "not available in proxy mode (the upstream owns the session's events and sequence numbers)"

    /// Parses an action from its name and body (a JSON object; `stop_acks` also takes `true`/`false`).
    /// - Throws: `FieldError` naming the bad field of the body, e.g. `code: required, …`.
    public init(name: String, body: JSONValue) throws(FieldError) {
        switch name {
        case "disconnect":
            let body = try JSONField.object(body)
            guard let code = body["code"].flatMap(JSONField.integer), (1000...4999).contains(code) else {
                throw FieldError("code", "required, an integer close code from 1000 to 4999")
            }
            self = .disconnect(code: UInt16(code), reason: try JSONField.optionalString(body, "reason"))
        case "stop_acks":
            if case .bool(let stop) = body {
                self = .stopAcks(stop)
            } else {
                self = .stopAcks(try JSONField.optionalBool(try JSONField.object(body), "stop") ?? true)
            }
        case "invalidate":
            _ = try JSONField.object(body)
            self = .invalidate
        case "reconnect":
            _ = try JSONField.object(body)
            self = .reconnect
        case "invalid_session":
            guard let resumable = try JSONField.optionalBool(try JSONField.object(body), "resumable") else {
                throw FieldError("resumable", "required, true or false")
            }
            self = .invalidSession(resumable: resumable)
        case "drop":
            _ = try JSONField.object(body)
            self = .drop
        case "heartbeat_request":
            _ = try JSONField.object(body)
            self = .heartbeatRequest
        case "dispatch":
            let body = try JSONField.object(body)
            guard let event = body["event"]?.stringValue, !event.isEmpty else {
                throw FieldError("event", "required, a dispatch name such as MESSAGE_CREATE")
            }
            guard let data = body["data"], data != .null else { throw FieldError("data", "required, the event's d object") }
            var guildID: String?
            if let value = body["guild_id"], value != .null {
                guard let id = value.snowflake else { throw FieldError("guild_id", "must be a snowflake string") }
                guildID = String(id)
            }
            self = .dispatch(event: event, data: data, guildID: guildID)
        case "interaction":
            let body = try JSONField.object(body)
            guard let data = body["data"], case .object = data else {
                throw FieldError("data", "required, an object {name, type?, options?}")
            }
            guard let command = data["name"]?.stringValue, !command.isEmpty else {
                throw FieldError("data.name", "required, the command's name")
            }
            for field in ["guild_id", "channel_id", "user_id"] {
                if let value = body[field], value != .null, value.snowflake == nil { throw FieldError(field, "must be a snowflake string") }
            }
            if let type = body["type"], type != .null, JSONField.integer(type) == nil { throw FieldError("type", "must be an integer") }
            self = .interaction(body)
        case "rest_fault":
            let body = try JSONField.object(body)
            guard let status = body["status"].flatMap(JSONField.integer), (100...599).contains(status) else {
                throw FieldError("status", "required, an HTTP status from 100 to 599")
            }
            _ = try JSONField.optionalString(body, "method")
            _ = try JSONField.optionalString(body, "route")
            _ = try JSONField.optionalBool(body, "global")
            if let count = body["count"], count != .null, !((JSONField.integer(count) ?? 0) >= 1) {
                throw FieldError("count", "must be a positive integer")
            }
            if let delay = body["delay_ms"], delay != .null, !((JSONField.integer(delay) ?? -1) >= 0) {
                throw FieldError("delay_ms", "must be a number of milliseconds, 0 or more")
            }
            if let retry = body["retry_after"], retry != .null, !(JSONField.number(retry).map { $0 >= 0 } ?? false) {
                throw FieldError("retry_after", "must be a number of seconds, 0 or more")
            }
            self = .restFault(body)
        default:
            throw FieldError("", "unknown action \"\(name)\" (one of \(Self.names.joined(separator: ", ")), wait_ms)")
        }
    }

    /// The body as the control API would take it (recorded in `controls.args`).
    public var arguments: JSONValue {
        switch self {
        case .disconnect(let code, let reason): ["code": .int(Int64(code)), "reason": reason.map { .string($0) } ?? .null]
        case .stopAcks(let stop): ["stop": .bool(stop)]
        case .invalidSession(let resumable): ["resumable": .bool(resumable)]
        case .dispatch(let event, _, let guildID): ["event": .string(event), "guild_id": guildID.map { .string($0) } ?? .null]
        case .interaction(let body), .restFault(let body): body
        case .invalidate, .reconnect, .drop, .heartbeatRequest: [:]
        }
    }
}
