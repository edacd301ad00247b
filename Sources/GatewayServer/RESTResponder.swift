import GatewayModel
import GatewayWorld

/// Answers REST calls in place of the session's world. `replay` uses it to answer the live bot's
/// calls from the recording (SPEC §8); a call it returns `nil` for goes to the world.
public protocol RESTResponder: Sendable {
    /// The answer to a call (after faults, before the world), or `nil` to let the world answer.
    func answer(_ call: RESTCall) -> RESTReply?
}

/// One REST call as the REST layer parsed it, for a ``RESTResponder``.
public struct RESTCall: Sendable {
    /// The call's `http.id` (the `cause` of the dispatches it brings).
    public var id: Int64
    public var sessionID: String
    /// The matched route and its path parameters (percent-decoded).
    public var match: RouteMatch
    /// The query string without `?` (empty for none).
    public var query: String
    /// The JSON body (a multipart body's `payload_json`), `.null` for none.
    public var body: JSONValue
    /// The session's world (to apply Discord's rules to an answer, such as the 3-second callback rule).
    public var world: World

    public init(id: Int64, sessionID: String, match: RouteMatch, query: String, body: JSONValue, world: World) {
        self.id = id
        self.sessionID = sessionID
        self.match = match
        self.query = query
        self.body = body
        self.world = world
    }
}

/// A ``RESTResponder``'s answer: status, body, headers and the dispatches the call brings.
public struct RESTReply: Sendable {
    public var status: Int
    /// The JSON body; `nil` for none (204).
    public var body: JSONValue?
    /// Headers to send (besides `Content-Type`); `nil` gives the usual rate-limit headers.
    public var headers: [(name: String, value: String)]?
    /// Dispatches sent to the session after the answer, with the call's id as their cause.
    public var events: [WorldEvent]

    public init(status: Int, body: JSONValue?, headers: [(name: String, value: String)]? = nil, events: [WorldEvent] = []) {
        self.status = status
        self.body = body
        self.headers = headers
        self.events = events
    }
}
