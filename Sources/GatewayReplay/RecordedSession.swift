import GatewayModel
import GatewayRecording
import GatewayWorld
import NIOCore

/// A recorded session prepared for replay: the world the bot saw (as a fixture), HELLO's interval,
/// the timeline of dispatches and faults, the answers to commands, and the bot's own frames.
public struct RecordedSession: Sendable {
    public let sessionID: String
    /// User, application and guilds from the recorded READY and GUILD_CREATEs.
    public let fixture: Fixture
    /// The recorded HELLO `heartbeat_interval` (ms).
    public let heartbeatInterval: Int
    public let timeline: ReplayTimeline
    /// Recorded answers to op 8 and op 4.
    let responses: RecordedResponses
    /// Recorded REST calls, the answers to the live bot's calls, with the dispatches they brought.
    let recordedCalls: RecordedCalls
    /// Every frame of the session, wire order (the bot's own are `.inbound`).
    public let frames: [StoredFrame]
    public let connections: [StoredConnection]
    /// The bot's REST calls.
    public let http: [StoredHTTPCall]
    /// Where it was read from, for reports.
    public let label: String

    /// Reads a session (`nil`: the only or first one) from a recording.
    /// - Throws: `ReplayError` for a session that is unknown or has no READY.
    public init(reader: RecordingReader, sessionID: String?) throws {
        let sessions = try reader.sessions()
        guard let id = sessionID ?? sessions.first?.id else { throw ReplayError("the recording holds no session") }
        guard sessions.contains(where: { $0.id == id }) else {
            throw ReplayError("no session \(id) in \(reader.path) (sessions: \(sessions.map(\.id).joined(separator: ", ")))")
        }
        try self.init(
            id: id, frames: try reader.frames(sessionID: id), controls: try reader.controls(sessionID: id, includingUnassigned: false),
            connections: try reader.connections(sessionID: id), http: try reader.httpCalls(sessionID: id, includingUnassigned: false),
            label: "\(reader.path) session \(id)")
    }

    init(id: String, frames: [StoredFrame], controls: [StoredControl], connections: [StoredConnection], http: [StoredHTTPCall], label: String) throws {
        sessionID = id
        self.http = http
        self.label = label
        self.frames = frames
        let analysis = FrameAnalysis(frames: frames)
        guard let ready = analysis.firstReady else {
            throw ReplayError("session \(id) has no READY: the bot never identified in this recording")
        }
        var guilds: [String: JSONValue] = [:]
        var guildOrder: [String] = []
        for guild in analysis.identifyGuilds {
            guard let gid = guild["id"]?.stringValue, guilds[gid] == nil else { continue }
            guilds[gid] = guild
            guildOrder.append(gid)
        }
        let readyData = ready.data
        var application: JSONValue = readyData["application"] ?? [:]
        if case .object = application {} else { application = [:] }
        do {
            fixture = try Fixture(json: [
                "user": readyData["user"] ?? [:], "application": application,
                "guilds": .array(guildOrder.compactMap { guilds[$0] }),
                "approved_intents": ["GUILD_MEMBERS", "GUILD_PRESENCES", "MESSAGE_CONTENT"],
            ])
        } catch {
            throw ReplayError("session \(id): the recorded READY or GUILD_CREATE cannot be served again: \(error.description)")
        }
        heartbeatInterval = analysis.helloInterval ?? 41_250
        responses = analysis.responses
        // The session ends with its last frame or its last connection's close, whichever is later.
        let sessionEnd = max(frames.last?.tNs ?? ready.tNs, connections.compactMap(\.closedNs).max() ?? 0)
        let causes = RESTCauses.find(frames: frames, http: http)
        var caused: [Int64: [WorldEvent]] = [:]
        for dispatch in analysis.timelineDispatches {
            guard let call = causes[dispatch.frameID] else { continue }
            caused[call, default: []].append(WorldEvent(name: dispatch.event, data: dispatch.data, guildID: dispatch.guildID))
        }
        recordedCalls = RecordedCalls(http: http, caused: caused)
        timeline = Self.timeline(analysis: analysis, causedFrames: Set(causes.keys), controls: controls, sessionEnd: sessionEnd)
        self.connections = connections
    }

    /// Splits the timeline at every recorded reconnect (READY or RESUMED after the first READY). The
    /// dispatches REST calls brought (`causedFrames`) are not on it: they leave when the live bot calls.
    private static func timeline(analysis: FrameAnalysis, causedFrames: Set<Int64>, controls: [StoredControl], sessionEnd: Int64) -> ReplayTimeline {
        var items: [(t: Int64, order: Int, kind: ReplayTimeline.Kind)] = []
        for (index, dispatch) in analysis.timelineDispatches.enumerated() where !causedFrames.contains(dispatch.frameID) {
            let kind: ReplayTimeline.Kind =
                dispatch.event == "INTERACTION_CREATE"
                ? .interaction(data: dispatch.data)
                : .dispatch(event: dispatch.event, data: ByteBuffer(bytes: dispatch.data.jsonBytes), guildID: dispatch.guildID)
            items.append((dispatch.tNs, index, kind))
        }
        for control in controls where control.action != "dispatch" {
            let args = control.args.flatMap { try? JSONValue(parsing: $0) } ?? [:]
            items.append((control.tNs, Int.max / 2 + Int(control.id), .control(action: control.action, args: args)))
        }
        items.sort { ($0.t, $0.order) < ($1.t, $1.order) }
        let anchors = analysis.anchors
        var segments: [ReplayTimeline.Segment] = []
        var cursor = items.startIndex
        for (k, (anchor, newShard)) in anchors.enumerated() {
            let end = k + 1 < anchors.count ? anchors[k + 1].tNs : max(sessionEnd, anchor)
            var events: [ReplayTimeline.Event] = []
            while cursor < items.count, k + 1 == anchors.count || items[cursor].t < end {
                if items[cursor].t >= anchor || k == 0 {
                    events.append(.init(offset: max(0, items[cursor].t - anchor), kind: items[cursor].kind))
                }
                cursor += 1
            }
            segments.append(.init(events: events, duration: end - anchor, newShard: newShard))
        }
        return ReplayTimeline(segments: segments)
    }
}

/// Why a replay cannot run; `description` is one line that says what to do.
public struct ReplayError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
