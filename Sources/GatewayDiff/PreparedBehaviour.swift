import GatewayModel
import GatewayRecording

/// One side made ready for comparing: its steps (normalised, `--ignore`d), the signatures the
/// alignment works on, its heartbeat cadence, timing summary and hints.
struct PreparedBehaviour {
    var steps: [BehaviourStep] = []
    /// Lane and value of each step, hashed once: equal keys, equal steps.
    var exactKeys: [StepKey] = []
    /// Lane and label shape of each step: steps with equal shapes align as "changed".
    var shapeKeys: [String] = []
    var tracks: [ConnectionTrack] = []
    var cadence: HeartbeatCadence
    var timing: TimingSummary
    var hints: [ProtocolHint] = []
    let originNs: Int64

    /// A client frame after parsing and normalising.
    private struct ParsedFrame {
        var value: JSONValue
        var label: String
        var tNs: Int64
        var connectionID: Int64?
        var op: Int?
    }

    init(_ behaviour: BotBehaviour, side: String, options: ComparisonOptions) {
        originNs = behaviour.originNs
        var normaliser = Normaliser()
        normaliser.aliasesSnowflakes = options.aliasesSnowflakes
        for connection in behaviour.connections.sorted(by: { $0.id < $1.id }) {
            if let id = connection.gatewaySessionID { normaliser.registerSession(id) }
        }
        Self.scanSnowflakes(behaviour, into: &normaliser, includeREST: options.includeREST)

        // Connections, in order of first appearance.
        var trackIndex: [Int64?: Int] = [:]
        var tracks: [ConnectionTrack] = []
        func track(for id: Int64?) -> Int {
            if let index = trackIndex[id] { return index }
            tracks.append(ConnectionTrack(id: id))
            trackIndex[id] = tracks.count - 1
            return tracks.count - 1
        }
        for connection in behaviour.connections.sorted(by: { $0.id < $1.id }) {
            let index = track(for: connection.id)
            tracks[index].openedNs = connection.openedNs
            tracks[index].closedNs = connection.closedNs
            tracks[index].closeCode = connection.closeCode
            tracks[index].closedBy = connection.closedBy
            tracks[index].gatewaySessionID = connection.gatewaySessionID
            tracks[index].shardFromTable = connection.shardID
        }

        var parsed: [ParsedFrame] = []
        for frame in behaviour.frames {
            let index = track(for: frame.connectionID)
            tracks[index].lastFrameNs = max(tracks[index].lastFrameNs ?? frame.tNs, frame.tNs)
            switch frame.direction {
            case .inbound:
                var op = frame.op
                if op == GatewayOpcode.heartbeat.rawValue {
                    tracks[index].client.append(.init(tNs: frame.tNs, op: op, parsed: nil))
                    continue
                }
                let raw = (try? JSONValue(parsing: frame.payload))
                if op == nil, let number = raw?["op"]?.int64Value { op = Int(number) }
                if op == GatewayOpcode.heartbeat.rawValue {
                    tracks[index].client.append(.init(tNs: frame.tNs, op: op, parsed: nil))
                    continue
                }
                let value: JSONValue
                let label: String
                if let raw {
                    value = normaliser.normaliseFrame(raw, op: op)
                    label = op.map { GatewayOpcode(rawValue: $0).name } ?? "NO_OPCODE"
                } else {
                    value = .string(frame.payloadText)
                    label = "UNPARSEABLE"
                }
                if tracks[index].shardFromTable == nil, op == GatewayOpcode.identify.rawValue,
                    let shard = raw?["d"]?["shard"]?.arrayValue?.first?.int64Value
                {
                    tracks[index].shardFromTable = Int(shard)
                }
                tracks[index].client.append(.init(tNs: frame.tNs, op: op, parsed: parsed.count))
                parsed.append(ParsedFrame(value: value, label: label, tNs: frame.tNs, connectionID: frame.connectionID, op: op))
            case .outbound:
                Self.noteServerFrame(frame, in: &tracks[index])
            }
        }
        Self.assignLanes(&tracks, parsed: parsed.map { $0.value })
        self.tracks = tracks

        // Steps: lane by lane (shards by id, then REST), wire order within a lane.
        var steps: [BehaviourStep] = []
        for lane in Set(tracks.map(\.lane)).sorted() {
            for track in tracks where track.lane == lane {
                for frame in track.client {
                    guard let parsedIndex = frame.parsed else { continue }
                    let item = parsed[parsedIndex]
                    steps.append(
                        BehaviourStep(
                            index: steps.count, lane: .shard(lane), kind: .frame, label: item.label, tNs: item.tNs,
                            offsetNs: item.tNs - originNs, connectionID: item.connectionID, value: item.value))
                }
                if options.includeClientCloses, track.closedBy == ClosedBy.client.rawValue, let code = track.closeCode {
                    let tNs = track.closedNs ?? track.lastFrameNs ?? originNs
                    steps.append(
                        BehaviourStep(
                            index: steps.count, lane: .shard(lane), kind: .close, label: "CLOSE \(code)", tNs: tNs,
                            offsetNs: tNs - originNs, connectionID: track.id, value: ["close": .int(Int64(code))]))
                }
            }
        }
        var shapes: [String] = steps.map { $0.kind == .close ? "CLOSE" : $0.label }
        if options.includeREST {
            for call in behaviour.http.sorted(by: { $0.tNs < $1.tNs }) {
                let path = normaliser.normalisePath(call.comparablePath)
                let body = RESTCallForm.requestBody(ofRecorded: call.request)
                let value: JSONValue = [
                    "method": .string(call.method), "path": .string(path.aliased), "body": normaliser.normalise(body, key: nil),
                ]
                let label = RESTCallForm.label(call, shape: path.shape)
                steps.append(
                    BehaviourStep(
                        index: steps.count, lane: .rest, kind: .rest, label: label, tNs: call.tNs,
                        offsetNs: call.tNs - originNs, connectionID: nil, value: value))
                shapes.append(label)
            }
        }
        exactKeys.reserveCapacity(steps.count)
        for index in steps.indices {
            for pointer in options.ignore { steps[index].value = pointer.removing(from: steps[index].value) }
            exactKeys.append(StepKey(lane: steps[index].lane, value: steps[index].value))
            shapes[index] = steps[index].lane.description + "\u{0}" + shapes[index]
        }
        self.steps = steps
        self.shapeKeys = shapes

        cadence = Self.cadence(tracks)
        timing = Self.timing(tracks, cadence: cadence)
        timing.restCallOffsetsMs = steps.filter { $0.lane == .rest }.map { Format.milliseconds($0.offsetNs) }
        hints = ProtocolHint.detect(in: tracks, cadence: cadence, side: side, originNs: originNs)
    }

    /// A step's identity for the alignment: lane and normalised value, with the hash computed once
    /// (equality stays exact: a hash collision never makes two steps equal).
    struct StepKey: Hashable {
        let lane: StepLane
        let value: JSONValue
        let hash: Int

        init(lane: StepLane, value: JSONValue) {
            self.lane = lane
            self.value = value
            var hasher = Hasher()
            hasher.combine(lane)
            hasher.combine(value)
            hash = hasher.finalize()
        }

        static func == (left: StepKey, right: StepKey) -> Bool {
            left.hash == right.hash && left.lane == right.lane && left.value == right.value
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    // MARK: Pieces

    /// Registers the session's snowflakes in time order (frames both ways, REST paths and bodies).
    /// Numbers snowflakes by first appearance: every frame in wire order first, then the REST calls,
    /// so aliases do not depend on how REST calls interleave with frames in time (a replay at full
    /// speed compresses the timeline, not the order of either).
    private static func scanSnowflakes(_ behaviour: BotBehaviour, into normaliser: inout Normaliser, includeREST: Bool) {
        for frame in behaviour.frames { normaliser.scanSnowflakes(in: frame.payload) }
        guard includeREST else { return }
        for call in behaviour.http.sorted(by: { $0.tNs < $1.tNs }) { scan(call, into: &normaliser) }
    }

    private static func scan(_ call: StoredHTTPCall, into normaliser: inout Normaliser) {
        normaliser.scanSnowflakes(in: Array(call.comparablePath.utf8))
        if let request = call.request { normaliser.scanSnowflakes(in: Array(request.utf8)) }
    }

    private static func noteServerFrame(_ frame: StoredFrame, in track: inout ConnectionTrack) {
        var op = frame.op
        var parsed: JSONValue?
        if op == nil {
            parsed = (try? JSONValue(parsing: frame.payload))
            op = parsed?["op"]?.int64Value.map { Int($0) }
        }
        guard let op else { return }
        switch op {
        case GatewayOpcode.hello.rawValue:
            guard track.helloNs == nil else { return }
            track.helloNs = frame.tNs
            let value = parsed ?? (try? JSONValue(parsing: frame.payload))
            if let interval = value?["d"]?["heartbeat_interval"]?.int64Value { track.helloIntervalMs = Double(interval) }
        case GatewayOpcode.invalidSession.rawValue:
            let value = parsed ?? (try? JSONValue(parsing: frame.payload))
            track.server.append(.init(tNs: frame.tNs, op: op, resumable: value?["d"]?.boolValue))
        case GatewayOpcode.heartbeat.rawValue, GatewayOpcode.reconnect.rawValue:
            track.server.append(.init(tNs: frame.tNs, op: op, resumable: nil))
        default:
            break
        }
    }

    /// Shard of each connection: the connections table, else IDENTIFY's `shard`, else the shard of
    /// the earlier connection of the same gateway session (a RESUME), else 0.
    private static func assignLanes(_ tracks: inout [ConnectionTrack], parsed: [JSONValue]) {
        var laneOfGatewaySession: [String: Int] = [:]
        for index in tracks.indices {
            var lane = tracks[index].shardFromTable
            if lane == nil, let session = tracks[index].gatewaySessionID { lane = laneOfGatewaySession[session] }
            if lane == nil,
                let resume = tracks[index].firstClient(op: GatewayOpcode.resume.rawValue), let parsedIndex = resume.parsed,
                let session = parsed[parsedIndex]["d"]?["session_id"]?.stringValue
            {
                lane = laneOfGatewaySession[session]
            }
            tracks[index].lane = lane ?? 0
            if let session = tracks[index].gatewaySessionID, laneOfGatewaySession[session] == nil {
                laneOfGatewaySession[session] = tracks[index].lane
            }
        }
    }

    private static func cadence(_ tracks: [ConnectionTrack]) -> HeartbeatCadence {
        var intervals: [Double] = []
        var count = 0
        var needed = false
        let hello = tracks.lazy.compactMap(\.helloIntervalMs).first
        for track in tracks {
            let requests = track.server.filter { $0.op == GatewayOpcode.heartbeat.rawValue }.map(\.tNs)
            var previous: Int64?
            var request = 0
            for frame in track.client where frame.op == GatewayOpcode.heartbeat.rawValue {
                count += 1
                var requested = false
                while request < requests.count, requests[request] <= frame.tNs {
                    if let previous, requests[request] >= previous { requested = true }
                    request += 1
                }
                if let previous, !requested { intervals.append(Double(frame.tNs - previous) / 1e6) }
                previous = frame.tNs
            }
            if let interval = track.helloIntervalMs ?? hello, let start = track.helloNs ?? track.startNs, let end = track.endNs,
                Double(end - start) / 1e6 > 1.5 * interval
            {
                needed = true
            }
        }
        return .summarising(count: count, intervals: intervals, helloIntervalMs: hello, neededHeartbeats: needed)
    }

    private static func timing(_ tracks: [ConnectionTrack], cadence: HeartbeatCadence) -> TimingSummary {
        var helloToIdentify: Double?
        for track in tracks {
            if let hello = track.helloNs, let identify = track.firstClient(op: GatewayOpcode.identify.rawValue, from: hello) {
                helloToIdentify = Double(identify.tNs - hello) / 1e6
                break
            }
        }
        var reconnects: [Double] = []
        var resumes: [Double] = []
        for (index, track) in tracks.enumerated() {
            guard let closed = track.closedNs,
                let next = tracks[(index + 1)...].first(where: { $0.lane == track.lane && ($0.startNs ?? .min) >= closed })
            else { continue }
            if let start = next.startNs { reconnects.append(Double(start - closed) / 1e6) }
            if let resume = next.firstClient(op: GatewayOpcode.resume.rawValue) { resumes.append(Double(resume.tNs - closed) / 1e6) }
        }
        let times = tracks.flatMap { $0.client.map(\.tNs) }
        var perMinute: Double?
        if let first = times.min(), let last = times.max(), last > first {
            perMinute = Double(times.count) / (Double(last - first) / 60e9)
        }
        return TimingSummary(
            helloToIdentifyMs: helloToIdentify, heartbeat: cadence, reconnectDelaysMs: reconnects, resumeDelaysMs: resumes,
            commandsPerMinute: perMinute, maxCommandsIn60s: tracks.map { Self.busiestMinute($0).count }.max() ?? 0)
    }

    /// The most client frames of a connection within 60 s, and when that window ended.
    static func busiestMinute(_ track: ConnectionTrack) -> (count: Int, endNs: Int64?) {
        let times = track.client.map(\.tNs).sorted()
        var best = 0
        var bestEnd: Int64?
        var low = 0
        for high in times.indices {
            while times[high] - times[low] >= 60_000_000_000 { low += 1 }
            if high - low + 1 > best {
                best = high - low + 1
                bestEnd = times[high]
            }
        }
        return (best, bestEnd)
    }
}
