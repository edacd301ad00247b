import GatewayModel
import GatewayRecording
import NIOCore
import Synchronization

/// The replay server's recording sink: keeps the live session's frames and connections for
/// `--verify`, notes when the live bot identifies or resumes, and forwards everything to the
/// `--record` recorder when there is one.
final class ReplayObserver: RecordingSink, Sendable {
    private struct State {
        var frames: [StoredFrame] = []
        var http: [StoredHTTPCall] = []
        var connections: [Int64: StoredConnection] = [:]
        /// MonotonicClock instants of each IDENTIFY/RESUME that succeeded, and the session.
        var identified: [(t: UInt64, sessionID: String)] = []
        var startNs: UInt64
    }
    private let state: Mutex<State>
    private let forward: (any RecordingSink)?
    /// Whether frames and REST calls are kept (only `--verify` needs them).
    private let keepsTraffic: Bool

    init(forward: (any RecordingSink)?, keepsTraffic: Bool) {
        self.forward = forward
        self.keepsTraffic = keepsTraffic
        self.state = Mutex(State(startNs: MonotonicClock.now()))
    }

    func record(_ event: RecordEvent) {
        forward?.record(event)
        observe(CollectionOfOne(event))
    }

    func record(contentsOf events: [RecordEvent]) {
        forward?.record(contentsOf: events)
        observe(events)
    }

    /// Whether `observe` keeps anything of the event.
    private func isObserved(_ event: RecordEvent) -> Bool {
        switch event {
        case .frame, .http: keepsTraffic
        case .session, .control: false
        case .connectionOpened, .connectionIdentified, .connectionClosed: true
        }
    }

    /// Keeps what `--verify` and the runner need of a batch of events, under one lock.
    private func observe(_ events: some Collection<RecordEvent>) {
        guard events.contains(where: isObserved) else { return }
        state.withLock { state in
            let start = state.startNs
            func offset(_ t: UInt64) -> Int64 { Int64(bitPattern: t &- start) }
            for event in events where isObserved(event) {
                switch event {
                case .frame(let frame):
                    state.frames.append(StoredFrame(
                        id: Int64(state.frames.count + 1), connectionID: frame.connectionID, sessionID: frame.sessionID,
                        tNs: offset(frame.t), direction: frame.direction, op: frame.op, seq: frame.seq, event: frame.event,
                        payload: Array(frame.payload.readableBytesView), wireBytes: frame.wireBytes))
                case .connectionOpened(let opened):
                    state.connections[opened.connectionID] = StoredConnection(
                        id: opened.connectionID, sessionID: nil, gatewaySessionID: nil, shardID: nil, shardCount: nil,
                        openedNs: offset(opened.t), closedNs: nil, closeCode: nil, closeReason: nil, closedBy: nil, query: opened.query)
                case .connectionIdentified(let identified):
                    state.connections[identified.connectionID]?.sessionID = identified.sessionID
                    state.connections[identified.connectionID]?.gatewaySessionID = identified.gatewaySessionID
                    state.connections[identified.connectionID]?.shardID = identified.shardID
                    state.connections[identified.connectionID]?.shardCount = identified.shardCount
                    state.identified.append((MonotonicClock.now(), identified.sessionID))
                case .connectionClosed(let closed):
                    state.connections[closed.connectionID]?.closedNs = offset(closed.t)
                    state.connections[closed.connectionID]?.closeCode = closed.code
                    state.connections[closed.connectionID]?.closeReason = closed.reason
                    state.connections[closed.connectionID]?.closedBy = closed.closedBy.rawValue
                case .http(let call):
                    state.http.append(StoredHTTPCall(
                        id: call.id ?? Int64(state.http.count + 1), sessionID: call.sessionID, tNs: offset(call.t), method: call.method,
                        path: call.path, status: call.status, request: call.request, response: call.response))
                case .session, .control:
                    break
                }
            }
        }
    }

    func waitUntilWritable() async { await forward?.waitUntilWritable() }

    /// Frames are needed for `--verify` or for a `--record` file; otherwise the server can skip them.
    var recordsTraffic: Bool { keepsTraffic || forward != nil }

    /// The `index`-th successful IDENTIFY/RESUME, if it happened.
    func identified(_ index: Int) -> (t: UInt64, sessionID: String)? {
        state.withLock { index < $0.identified.count ? $0.identified[index] : nil }
    }

    /// The live session's frames, connections and REST calls.
    func live(sessionID: String) -> (frames: [StoredFrame], connections: [StoredConnection], http: [StoredHTTPCall]) {
        state.withLock { state in
            let connections = state.connections.values.filter { $0.sessionID == sessionID }.sorted { $0.id < $1.id }
            let ids = Set(connections.map(\.id))
            let frames = state.frames.filter { frame in frame.connectionID.map(ids.contains) ?? false }
            let http = state.http.filter { $0.sessionID == sessionID || $0.sessionID == nil }
            return (frames, connections, http)
        }
    }
}
