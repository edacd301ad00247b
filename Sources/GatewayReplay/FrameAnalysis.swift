import GatewayModel
import GatewayRecording

/// One pass over a recorded session's frames that sorts the server's dispatches into what the
/// server regenerates (READY, GUILD_CREATEs of IDENTIFY, RESUMED), what answers the bot's commands
/// (member chunks paired with their op 8 by `MemberRequestPairing`, voice events after op 4) and what
/// the timeline re-dispatches (everything else after the first READY).
struct FrameAnalysis {
    struct Dispatch {
        /// The recorded frame's `frames.id`.
        let frameID: Int64
        let tNs: Int64
        let event: String
        let data: JSONValue
        let guildID: UInt64?
    }

    private(set) var firstReady: (tNs: Int64, data: JSONValue)?
    private(set) var helloInterval: Int?
    /// Guilds as the recorded IDENTIFYs delivered them.
    private(set) var identifyGuilds: [JSONValue] = []
    /// Recorded READY and RESUMED times: where timeline segments start; `newShard` when it is the
    /// first READY of a shard after another shard's.
    private(set) var anchors: [(tNs: Int64, newShard: Int?)] = []
    private var readyShards: Set<Int> = []
    private(set) var timelineDispatches: [Dispatch] = []
    let responses = RecordedResponses()

    private struct ConnectionState {
        var sendingIdentifyGuilds = false
        var voiceRequest: String?
    }

    init(frames: [StoredFrame]) {
        var connections: [Int64: ConnectionState] = [:]
        var memberRequests = MemberRequestPairing()
        for frame in frames {
            guard let payload = try? JSONValue(parsing: frame.payload) else { continue }
            let key = frame.connectionID ?? -1
            var state = connections[key] ?? ConnectionState()
            defer { connections[key] = state }
            let op = frame.op ?? payload["op"]?.int64Value.map(Int.init)
            var data = payload["d"] ?? .null
            if frame.direction == .inbound {
                switch op {
                case GatewayOpcode.requestGuildMembers.rawValue?:
                    memberRequests.request(data, connectionID: key, id: responses.addMemberRequest(data))
                case GatewayOpcode.voiceStateUpdate.rawValue?: state.voiceRequest = RecordedResponses.voiceKey(data)
                default: break
                }
                continue
            }
            if op == GatewayOpcode.hello.rawValue, helloInterval == nil {
                helloInterval = data["heartbeat_interval"]?.int64Value.map(Int.init)
            }
            guard op == GatewayOpcode.dispatch.rawValue, let event = frame.event ?? payload["t"]?.stringValue else { continue }
            if event != "GUILD_CREATE" { state.sendingIdentifyGuilds = false }
            switch event {
            case "READY":
                if firstReady == nil { firstReady = (frame.tNs, data) }
                let shard = data["shard"]?.arrayValue?.first?.int64Value.map(Int.init) ?? 0
                let firstOfShard = readyShards.insert(shard).inserted
                anchors.append((frame.tNs, firstOfShard && !anchors.isEmpty ? shard : nil))
                state.sendingIdentifyGuilds = true
                continue
            case "RESUMED":
                anchors.append((frame.tNs, nil))
                continue
            case "GUILD_CREATE" where state.sendingIdentifyGuilds:
                identifyGuilds.append(data)
                continue
            case "GUILD_MEMBERS_CHUNK":
                if let request = memberRequests.answer(data, connectionID: key) {
                    responses.addMemberChunk(data, toRequest: request)
                    continue
                }
                // Its request is not in the recording: it goes out by the clock, without the
                // recorded nonce (which names a request the live bot never made).
                data["nonce"] = nil
            case "VOICE_STATE_UPDATE", "VOICE_SERVER_UPDATE":
                if let request = state.voiceRequest {
                    responses.addVoiceAnswer(event: event, data: data, for: request)
                    if event == "VOICE_SERVER_UPDATE" || data["channel_id"] == .null { state.voiceRequest = nil }
                    continue
                }
            default:
                break
            }
            // Not an answer: it goes out by the clock.
            guard firstReady != nil else { continue }
            timelineDispatches.append(Dispatch(frameID: frame.id, tNs: frame.tNs, event: event, data: data, guildID: data["guild_id"]?.snowflake))
        }
    }
}
