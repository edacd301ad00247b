/// One mark of the report's timeline: a frame, a REST call, a control action or a connection's close.
public struct ReportMark: Sendable, Hashable {
    /// What the mark is, which decides its colour and its row in the lane. Marks of the server
    /// (server → bot) sit in the upper half of a connection's lane, the bot's in the lower half.
    public enum Kind: Int, Sendable, CaseIterable {
        /// Server → bot op 0.
        case dispatch
        /// Server → bot op 10 HELLO.
        case hello
        /// Server → bot op 11.
        case heartbeatACK
        /// Server → bot op 1 (the server asks for a heartbeat).
        case heartbeatRequest
        /// Server → bot op 7 RECONNECT or op 9 INVALID_SESSION.
        case reconnectOrInvalid
        /// Any other server frame.
        case otherServerFrame
        /// Bot → server op 1.
        case heartbeat
        /// Bot → server op 2 IDENTIFY or op 6 RESUME.
        case handshake
        /// Any other bot frame (presence, voice state, member requests, ...).
        case command
        /// A REST call answered below 400.
        case restSuccess
        /// A REST call answered with 400 or more (or never answered).
        case restFailure
        /// A control or fault action.
        case control
        /// A connection ended.
        case close

        /// The legend's words.
        public var label: String {
            switch self {
            case .dispatch: "server → bot: dispatch"
            case .hello: "server → bot: HELLO"
            case .heartbeatACK: "server → bot: heartbeat ACK"
            case .heartbeatRequest: "server → bot: heartbeat request"
            case .reconnectOrInvalid: "server → bot: RECONNECT / INVALID_SESSION"
            case .otherServerFrame: "server → bot: other"
            case .heartbeat: "bot → server: heartbeat"
            case .handshake: "bot → server: IDENTIFY / RESUME"
            case .command: "bot → server: other command"
            case .restSuccess: "REST call, status < 400"
            case .restFailure: "REST call, status ≥ 400"
            case .control: "control / fault action"
            case .close: "connection closed"
            }
        }

        /// The mark's colour (CSS).
        public var color: String {
            switch self {
            case .dispatch: "#2563eb"
            case .hello: "#0891b2"
            case .heartbeatACK: "#94a3b8"
            case .heartbeatRequest: "#9333ea"
            case .reconnectOrInvalid: "#dc2626"
            case .otherServerFrame: "#475569"
            case .heartbeat: "#4ade80"
            case .handshake: "#15803d"
            case .command: "#a16207"
            case .restSuccess: "#7c3aed"
            case .restFailure: "#db2777"
            case .control: "#ea580c"
            case .close: "#111827"
            }
        }

        /// Where in its lane the mark sits: `0` upper half (server → bot), `1` lower half (bot →
        /// server), `2` the whole height (REST, controls, closes).
        public var row: Int {
            switch self {
            case .dispatch, .hello, .heartbeatACK, .heartbeatRequest, .reconnectOrInvalid, .otherServerFrame: 0
            case .heartbeat, .handshake, .command: 1
            case .restSuccess, .restFailure, .control, .close: 2
            }
        }

        /// Whether "hide heartbeats" hides it (op 1 either way, op 11).
        public var isHeartbeat: Bool { self == .heartbeat || self == .heartbeatACK || self == .heartbeatRequest }
    }

    /// `t_ns` (nanoseconds since the recording started).
    public var tNs: Int64
    /// Index into ``SessionReport/lanes``.
    public var lane: Int
    /// What it is.
    public var kind: Kind
    /// Its name in the timeline and the filter: the dispatch's event, the opcode's name, the REST
    /// route (``GatewayDiff/BehaviourAnalysis/routeLabel(method:path:)``), the control action, or
    /// `CLOSE code`.
    public var name: String
    /// The frame's opcode.
    public var op: Int?
    /// The frame's sequence number.
    public var seq: Int64?
    /// The JSON shown when the mark is selected: a frame's payload as it crossed the wire, a REST
    /// call's `{id, method, path, status, request, response}`, a control's `{id, action, args}`,
    /// a close's `{connection, close_code, close_reason, closed_by}`.
    public var json: String

    /// Creates a mark.
    public init(tNs: Int64, lane: Int, kind: Kind, name: String, op: Int? = nil, seq: Int64? = nil, json: String) {
        self.tNs = tNs
        self.lane = lane
        self.kind = kind
        self.name = name
        self.op = op
        self.seq = seq
        self.json = json
    }
}
