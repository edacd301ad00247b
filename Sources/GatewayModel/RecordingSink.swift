import NIOCore

/// Where a server or proxy reports everything that crosses the wire. The SQLite recorder
/// implements it; tests can collect events in memory. The server knows nothing of SQLite.
///
/// `record(_:)` is called from network event loops and must not block: implementations queue
/// the event and write it elsewhere. Payloads handed over are already redacted.
public protocol RecordingSink: Sendable {
    /// Queues one event. Never blocks.
    func record(_ event: RecordEvent)
    /// Queues events in order, as one hand-off. Never blocks.
    func record(contentsOf events: [RecordEvent])
    /// Suspends while the sink is behind (its queue is over its high-water mark), so that
    /// producers that can wait (dispatch loops, replay) slow down instead of growing memory.
    func waitUntilWritable() async
    /// Whether `waitUntilWritable()` would suspend now: producers that cannot wait in place (a proxy
    /// reading from a socket) stop reading until it returns.
    var isBehind: Bool { get }
    /// Whether the sink wants frames, control actions and REST calls (`false`: only sessions and
    /// connection events, and the server skips copying every payload).
    var recordsTraffic: Bool { get }
}

extension RecordingSink {
    public func record(contentsOf events: [RecordEvent]) {
        for event in events { record(event) }
    }
    public func waitUntilWritable() async {}
    public var isBehind: Bool { false }
    public var recordsTraffic: Bool { true }
}

/// One thing that happened, stamped with `MonotonicClock.now()` nanoseconds.
public enum RecordEvent: Sendable {
    case session(SessionRecord)
    case connectionOpened(ConnectionOpenedRecord)
    case connectionIdentified(ConnectionIdentifiedRecord)
    case frame(FrameRecord)
    case connectionClosed(ConnectionClosedRecord)
    case control(ControlRecord)
    case http(HTTPRecord)
}

/// A session (one bot under test) was created.
public struct SessionRecord: Sendable, Equatable {
    public var id: String
    public var name: String?
    /// Hex SHA-256 of the session's token (never the token itself).
    public var tokenSHA256: String
    public var t: UInt64
    public init(id: String, name: String?, tokenSHA256: String, t: UInt64) {
        self.id = id; self.name = name; self.tokenSHA256 = tokenSHA256; self.t = t
    }
}

/// A WebSocket connection was accepted (before it identified).
public struct ConnectionOpenedRecord: Sendable, Equatable {
    public var connectionID: Int64
    /// The request's query string, e.g. `v=10&encoding=json&compress=zlib-stream`.
    public var query: String
    public var t: UInt64
    public init(connectionID: Int64, query: String, t: UInt64) {
        self.connectionID = connectionID; self.query = query; self.t = t
    }
}

/// A connection identified or resumed: it now belongs to a session and a gateway session.
public struct ConnectionIdentifiedRecord: Sendable, Equatable {
    public var connectionID: Int64
    public var sessionID: String
    public var gatewaySessionID: String
    public var shardID: Int?
    public var shardCount: Int?
    public init(connectionID: Int64, sessionID: String, gatewaySessionID: String, shardID: Int?, shardCount: Int?) {
        self.connectionID = connectionID; self.sessionID = sessionID; self.gatewaySessionID = gatewaySessionID
        self.shardID = shardID; self.shardCount = shardCount
    }
}

/// Which way a frame went.
public enum FrameDirection: String, Sendable {
    /// client → server
    case inbound = "in"
    /// server → client
    case outbound = "out"
}

/// One gateway frame as it crossed the wire (payload decompressed, tokens redacted).
public struct FrameRecord: Sendable, Equatable {
    public var connectionID: Int64
    public var sessionID: String?
    public var t: UInt64
    public var direction: FrameDirection
    public var op: Int?
    public var seq: Int64?
    public var event: String?
    /// The whole frame's JSON text (often a slice of the buffer the frame was sent in).
    public var payload: ByteBuffer
    /// Bytes on the wire (compressed size when transport compression is on).
    public var wireBytes: Int
    /// For a dispatch sent as the consequence of a REST call, that call's id (`http.id`).
    public var causeHTTPID: Int64?
    public init(
        connectionID: Int64, sessionID: String?, t: UInt64, direction: FrameDirection, op: Int?, seq: Int64?,
        event: String?, payload: ByteBuffer, wireBytes: Int, causeHTTPID: Int64? = nil
    ) {
        self.connectionID = connectionID; self.sessionID = sessionID; self.t = t; self.direction = direction
        self.op = op; self.seq = seq; self.event = event; self.payload = payload; self.wireBytes = wireBytes
        self.causeHTTPID = causeHTTPID
    }

    /// A record whose payload is given as bytes (copied into a buffer).
    public init(
        connectionID: Int64, sessionID: String?, t: UInt64, direction: FrameDirection, op: Int?, seq: Int64?,
        event: String?, payload: [UInt8], wireBytes: Int, causeHTTPID: Int64? = nil
    ) {
        self.init(
            connectionID: connectionID, sessionID: sessionID, t: t, direction: direction, op: op, seq: seq, event: event,
            payload: ByteBuffer(bytes: payload), wireBytes: wireBytes, causeHTTPID: causeHTTPID)
    }
}

/// Who ended a connection.
public enum ClosedBy: String, Sendable {
    case server, client
    /// The TCP connection ended with no close frame (either side).
    case drop
}

/// A connection ended.
public struct ConnectionClosedRecord: Sendable, Equatable {
    public var connectionID: Int64
    public var code: Int?
    public var reason: String?
    public var closedBy: ClosedBy
    public var t: UInt64
    public init(connectionID: Int64, code: Int?, reason: String?, closedBy: ClosedBy, t: UInt64) {
        self.connectionID = connectionID; self.code = code; self.reason = reason; self.closedBy = closedBy; self.t = t
    }
}

/// A control or fault action (`stop_acks`, `disconnect`, `invalidate`, `reconnect`, `invalid_session`,
/// `heartbeat_request`, `drop`, `heartbeat_interval`, `dispatch`), from the control API or the Swift API.
public struct ControlRecord: Sendable, Equatable {
    public var sessionID: String?
    public var action: String
    /// The action's arguments.
    public var arguments: Arguments
    public var t: UInt64

    /// A control action's arguments: JSON text, or the fields of a `dispatch` (turned into JSON text
    /// by the recorder, so that dispatching many events costs no text building on the caller's thread).
    public enum Arguments: Sendable, Equatable {
        /// JSON text (tokens redacted).
        case json(String)
        /// `{"event": event, "guild_id": "<id>" or null}`.
        case dispatch(event: String, guildID: UInt64?)
    }

    public init(sessionID: String?, action: String, args: String, t: UInt64) {
        self.init(sessionID: sessionID, action: action, arguments: .json(args), t: t)
    }

    public init(sessionID: String?, action: String, arguments: Arguments, t: UInt64) {
        self.sessionID = sessionID; self.action = action; self.arguments = arguments; self.t = t
    }

    /// JSON text of the action's arguments, as written to `controls.args`.
    public var args: String {
        switch arguments {
        case .json(let text): text
        case .dispatch(let event, let guildID):
            #"{"event":"# + JSONValue.string(event).jsonString + #","guild_id":"# + (guildID.map { "\"\($0)\"" } ?? "null") + "}"
        }
    }
}

/// A REST call a bot made.
public struct HTTPRecord: Sendable, Equatable {
    /// The call's id, written as `http.id` (the server numbers calls so that frames they caused can
    /// name them in `frames.cause_http_id`); nil lets the file number it.
    public var id: Int64?
    public var sessionID: String?
    public var method: String
    public var path: String
    public var status: Int
    /// Request headers and body as JSON text (Authorization redacted).
    public var request: String
    /// The answer's body as JSON text, or `null`.
    public var response: String
    public var t: UInt64
    /// The route template (`POST /channels/{channel.id}/messages`), nil for an unknown route.
    public var route: String?
    /// The answer's headers as a JSON object's text.
    public var responseHeaders: String?
    public init(
        id: Int64? = nil, sessionID: String?, method: String, path: String, status: Int, request: String, response: String,
        t: UInt64, route: String? = nil, responseHeaders: String? = nil
    ) {
        self.id = id; self.sessionID = sessionID; self.method = method; self.path = path; self.status = status
        self.request = request; self.response = response; self.t = t; self.route = route
        self.responseHeaders = responseHeaders
    }
}
