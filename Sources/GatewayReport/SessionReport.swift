import GatewayDiff
import GatewayModel
import GatewayRecording

/// One recorded session made ready for `gatewaytape report`: the header's figures and the
/// timeline's lanes and marks. ``html()`` turns it into the page.
///
/// ```swift
/// let report = try SessionReport(reader: RecordingReader(path: "run.sqlite"))
/// let page: [UInt8] = report.html()   // or: SessionReport.write(recording:sessionID:to:overwrite:)
/// ```
public struct SessionReport: Sendable {
    /// A line of the header's count tables.
    public struct Count: Sendable, Hashable {
        /// What was counted: an event, `bot → server HEARTBEAT`, a route, a control action.
        public var name: String
        /// How many.
        public var count: Int
        /// More (a route's statuses: `404 ×6`), or empty.
        public var detail: String
    }

    /// The recording's file.
    public let recordingPath: String
    /// Its `meta` rows.
    public let metadata: RecordingMetadata
    /// The session's figures (id, duration, frame count).
    public let summary: SessionSummary
    /// The bot as READY names it: `mockbot (1000000000000000001)`.
    public let botUser: String?
    /// `t_ns` of the session's first event: the timeline's zero.
    public let originNs: Int64
    /// Connection lanes (grouped by shard, each shard's in connection order), then REST, then controls.
    public let lanes: [ReportLane]
    /// Every mark, in time order.
    public let marks: [ReportMark]
    /// Frames shown (the session's, plus those of the unidentified connections shown with it).
    public let frameCount: Int
    /// Dispatches the server sent, per event.
    public let eventCounts: [Count]
    /// Other frames per direction and opcode.
    public let opcodeCounts: [Count]
    /// REST calls per route, with their statuses.
    public let routeCounts: [Count]
    /// Control and fault actions per action.
    public let controlCounts: [Count]
    /// Timing, heartbeat cadence and protocol hints, as `diff` finds them.
    public let analysis: BehaviourAnalysis

    /// Reads one session.
    ///
    /// Connections that never identified (`session_id` NULL, such as a RESUME answered with op 9)
    /// are shown with the session when they RESUMEd one of its gateway sessions, or when the file
    /// holds only this session.
    /// - Parameters:
    ///   - reader: the open recording.
    ///   - sessionID: the session; `nil` picks the only or first one (by first event).
    /// - Throws: ``RecordingError``: `.sessionNotFound` for an unknown id or a file without sessions.
    public init(reader: RecordingReader, sessionID: String? = nil) throws(RecordingError) {
        let sessions = try reader.sessions()
        guard let id = sessionID ?? sessions.first?.id else {
            throw RecordingError(code: .sessionNotFound, path: reader.path, message: "\(reader.path) holds no session")
        }
        let timeline = try SessionTimeline(reader: reader, sessionID: id)
        recordingPath = reader.path
        metadata = try reader.metadata()
        summary = timeline.summary
        originNs = timeline.originNs

        var frames: [StoredFrame] = []
        var calls: [StoredHTTPCall] = []
        var controls: [StoredControl] = []
        for entry in timeline.entries {
            switch entry.kind {
            case .frame(let frame): frames.append(frame)
            case .http(let call): calls.append(call)
            case .control(let control): controls.append(control)
            case .connectionOpened, .connectionClosed: break
            }
        }
        var connections = try reader.connections(sessionID: id)
        let gatewaySessions = Set(connections.compactMap(\.gatewaySessionID))
        for connection in try reader.unidentifiedConnections() {
            let connectionFrames = try reader.frames(connectionID: connection.id)
            guard sessions.count == 1 || connectionFrames.contains(where: { Self.resumes($0, oneOf: gatewaySessions) }) else { continue }
            connections.append(connection)
            frames += connectionFrames
        }
        connections.sort { $0.id < $1.id }
        frames.sort { $0.id < $1.id }
        analysis = BehaviourAnalysis(
            BotBehaviour(
                frames: frames, connections: connections, http: calls.filter { $0.sessionID != nil },
                originNs: timeline.originNs))

        var builder = Builder(connections: connections, shards: analysis.shardOfConnection)
        frameCount = frames.count
        for frame in frames { builder.add(frame) }
        for connection in connections { builder.addClose(connection) }
        for call in calls { builder.add(call) }
        for control in controls { builder.add(control) }
        marks = builder.sortedMarks()
        lanes = builder.lanes
        botUser = builder.botUser
        eventCounts = Self.counts(builder.events)
        opcodeCounts = Self.counts(builder.opcodes)
        routeCounts = Self.counts(builder.routes).map { count in
            var count = count
            count.detail = (builder.statuses[count.name] ?? [:]).sorted { ($0.key ?? Int.max) < ($1.key ?? Int.max) }
                .map { "\($0.key.map(String.init) ?? "no answer") ×\($0.value)" }.joined(separator: ", ")
            return count
        }
        controlCounts = Self.counts(builder.actions)
    }

    private static func resumes(_ frame: StoredFrame, oneOf gatewaySessions: Set<String>) -> Bool {
        guard frame.direction == .inbound, frame.op == GatewayOpcode.resume.rawValue,
            let session = (try? JSONValue(parsing: frame.payload))?["d"]?["session_id"]?.stringValue
        else { return false }
        return gatewaySessions.contains(session)
    }

    private static func counts(_ table: [String: Int]) -> [Count] {
        table.map { Count(name: $0.key, count: $0.value, detail: "") }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
    }

    /// Milliseconds from the session's first event to `tNs`.
    public func offsetMilliseconds(_ tNs: Int64) -> Double { Double(tNs - originNs) / 1e6 }
}

/// Turns the session's rows into lanes, marks and counts.
private struct Builder {
    var lanes: [ReportLane] = []
    var marks: [ReportMark] = []
    var botUser: String?
    var events: [String: Int] = [:]
    var opcodes: [String: Int] = [:]
    var routes: [String: Int] = [:]
    var statuses: [String: [Int?: Int]] = [:]
    var actions: [String: Int] = [:]
    private var laneOfConnection: [Int64: Int] = [:]
    private var restLane = -1
    private var controlsLane = -1

    init(connections: [StoredConnection], shards: [Int64: Int]) {
        let ordered = connections.sorted { (shards[$0.id] ?? 0, $0.id) < (shards[$1.id] ?? 0, $1.id) }
        for connection in ordered {
            let shard = shards[connection.id] ?? connection.shardID ?? 0
            laneOfConnection[connection.id] = lanes.count
            lanes.append(
                ReportLane(
                    kind: .connection, label: "connection \(connection.id)", group: "shard \(shard)", connection: connection,
                    shard: shard))
        }
    }

    /// The lane of a frame's connection; a connection missing from the session's rows gets a lane of its own.
    private mutating func lane(ofConnection id: Int64?) -> Int {
        let key = id ?? -1
        if let lane = laneOfConnection[key] { return lane }
        laneOfConnection[key] = lanes.count
        lanes.append(ReportLane(kind: .connection, label: id.map { "connection \($0)" } ?? "no connection", group: "other"))
        return lanes.count - 1
    }

    /// The REST or controls lane, made when first needed.
    private mutating func lane(_ kind: ReportLane.Kind) -> Int {
        let existing = kind == .rest ? restLane : controlsLane
        if existing >= 0 { return existing }
        lanes.append(ReportLane(kind: kind, label: kind == .rest ? "REST" : "controls & faults"))
        if kind == .rest { restLane = lanes.count - 1 } else { controlsLane = lanes.count - 1 }
        return lanes.count - 1
    }

    mutating func add(_ frame: StoredFrame) {
        let text = frame.payloadText
        var op = frame.op
        var parsed: JSONValue?
        if op == nil || (botUser == nil && frame.event == "READY") {
            parsed = try? JSONValue(parsing: frame.payload)
            op = op ?? parsed?["op"]?.int64Value.map { Int($0) }
        }
        if botUser == nil, frame.event == "READY", let user = parsed?["d"]?["user"] {
            let name = user["username"]?.stringValue ?? "?"
            botUser = user["id"]?.stringValue.map { "\(name) (\($0))" } ?? name
        }
        let kind = Self.kind(op: op, direction: frame.direction)
        let name: String
        if op == GatewayOpcode.dispatch.rawValue {
            name = frame.event ?? "DISPATCH"
            if frame.direction == .outbound { events[name, default: 0] += 1 }
        } else {
            name = op.map { GatewayOpcode(rawValue: $0).name } ?? "NO_OPCODE"
        }
        if op != GatewayOpcode.dispatch.rawValue || frame.direction == .inbound {
            opcodes["\(frame.direction == .inbound ? "bot → server" : "server → bot") \(name)", default: 0] += 1
        }
        marks.append(
            ReportMark(
                tNs: frame.tNs, lane: lane(ofConnection: frame.connectionID), kind: kind, name: name, op: op, seq: frame.seq,
                json: text))
    }

    private static func kind(op: Int?, direction: FrameDirection) -> ReportMark.Kind {
        let opcode = op.map { GatewayOpcode(rawValue: $0) }
        if direction == .inbound {
            switch opcode {
            case .heartbeat?: return .heartbeat
            case .identify?, .resume?: return .handshake
            default: return .command
            }
        }
        switch opcode {
        case .dispatch?: return .dispatch
        case .hello?: return .hello
        case .heartbeatACK?: return .heartbeatACK
        case .heartbeat?: return .heartbeatRequest
        case .reconnect?, .invalidSession?: return .reconnectOrInvalid
        default: return .otherServerFrame
        }
    }

    mutating func addClose(_ connection: StoredConnection) {
        guard let closed = connection.closedNs else { return }
        let json: JSONValue = [
            "connection": .int(connection.id), "close_code": connection.closeCode.map { .int(Int64($0)) } ?? .null,
            "close_reason": connection.closeReason.map { .string($0) } ?? .null,
            "closed_by": connection.closedBy.map { .string($0) } ?? .null,
        ]
        marks.append(
            ReportMark(
                tNs: closed, lane: lane(ofConnection: connection.id), kind: .close,
                name: connection.closeCode.map { "CLOSE \($0)" } ?? "CLOSE", json: json.jsonString))
    }

    mutating func add(_ call: StoredHTTPCall) {
        // The recorded route template when the file has one (`POST /channels/{channel.id}/messages`).
        let name = call.route ?? BehaviourAnalysis.routeLabel(method: call.method, path: call.path)
        routes[name, default: 0] += 1
        statuses[name, default: [:]][call.status, default: 0] += 1
        let json =
            "{\"id\":\(call.id),\"method\":\(JSONValue.string(call.method).jsonString),\"path\":\(JSONValue.string(call.path).jsonString)"
            + ",\"status\":\(call.status.map(String.init) ?? "null"),\"request\":\(Self.embedded(call.request))"
            + ",\"response\":\(Self.embedded(call.response))}"
        let failed = (call.status ?? 500) >= 400
        marks.append(
            ReportMark(
                tNs: call.tNs, lane: lane(.rest), kind: failed ? .restFailure : .restSuccess,
                name: name, json: json))
    }

    mutating func add(_ control: StoredControl) {
        actions[control.action, default: 0] += 1
        let json =
            "{\"id\":\(control.id),\"action\":\(JSONValue.string(control.action).jsonString),\"args\":\(Self.embedded(control.args))}"
        marks.append(
            ReportMark(
                tNs: control.tNs, lane: lane(.controls), kind: .control,
                name: control.action, json: json))
    }

    /// A column holding JSON text, embedded as is when it parses (else as a JSON string; NULL as null).
    private static func embedded(_ text: String?) -> String {
        guard let text else { return "null" }
        return (try? JSONValue(parsing: text)) != nil ? text : JSONValue.string(text).jsonString
    }

    /// Marks in time order (ties keep the order they were added in), with the REST and controls
    /// lanes present even when empty.
    mutating func sortedMarks() -> [ReportMark] {
        _ = lane(.rest)
        _ = lane(.controls)
        return marks.indices.sorted { (marks[$0].tNs, $0) < (marks[$1].tNs, $1) }.map { marks[$0] }
    }
}

extension SessionReport {
    /// Reads one session of a recording and writes its page (the `report` command and
    /// `replay --report`): no overwrite unless `overwrite`, a temporary file renamed when complete.
    /// - Throws: ``RecordingError`` for an unreadable recording, an unknown session or an output that
    ///   exists or cannot be written.
    public static func write(recording path: String, sessionID: String?, to output: String, overwrite: Bool) throws(RecordingError) {
        try OutputFile.write(to: output, overwrite: overwrite) { () throws(RecordingError) in
            let reader = try RecordingReader(path: path)
            defer { reader.close() }
            return try SessionReport(reader: reader, sessionID: sessionID).html()
        }
    }
}
