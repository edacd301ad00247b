import GatewayModel
import GatewayRecording
import NIOCore
import Synchronization

/// The replay server's recording sink: keeps the live session's frames and connections for
/// `--verify`, notes when the live bot identifies or resumes (and wakes the runner waiting for it),
/// and forwards everything to the `--record` recorder when there is one.
final class ReplayObserver: RecordingSink, Sendable {
    typealias Identification = (t: UInt64, sessionID: String)

    private struct Waiter {
        let id: UInt64
        /// Resumed once `identified` has more than this many entries.
        let index: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var frames: [StoredFrame] = []
        var http: [StoredHTTPCall] = []
        var connections: [Int64: StoredConnection] = [:]
        /// MonotonicClock instants of each IDENTIFY/RESUME that succeeded, and the session.
        var identified: [Identification] = []
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var startNs: UInt64

        /// Removes and returns the waiters whose identification has come.
        mutating func takeSatisfiedWaiters() -> [Waiter] {
            guard !waiters.isEmpty else { return [] }
            let count = identified.count
            let satisfied = waiters.filter { $0.index < count }
            waiters.removeAll { $0.index < count }
            return satisfied
        }
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

    /// Keeps what `--verify` and the runner need of a batch of events, under one lock, then wakes
    /// the runner if it waits for an identification that came.
    private func observe(_ events: some Collection<RecordEvent>) {
        guard events.contains(where: isObserved) else { return }
        let satisfied = state.withLock { state in
            let start = state.startNs
            func offset(_ t: UInt64) -> Int64 { Int64(bitPattern: t &- start) }
            for event in events where isObserved(event) {
                switch event {
                case .frame(let frame):
                    state.frames.append(StoredFrame(frame, id: Int64(state.frames.count + 1), tNs: offset(frame.t)))
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
                    state.http.append(StoredHTTPCall(call, id: Int64(state.http.count + 1), tNs: offset(call.t)))
                case .session, .control:
                    break
                }
            }
            return state.takeSatisfiedWaiters()
        }
        for waiter in satisfied { waiter.continuation.resume() }
    }

    /// The `index`-th successful IDENTIFY/RESUME (of any session), once it happens; `nil` if the
    /// task is cancelled first.
    func identified(_ index: Int) async -> Identification? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Under the lock: a cancellation handler that ran before this found no waiter to
                // resume, and then `isCancelled` is already true here.
                let now = state.withLock { state in
                    if index < state.identified.count || Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, index: index, continuation: continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) } }
            waiter?.continuation.resume()
        }
        return state.withLock { index < $0.identified.count ? $0.identified[index] : nil }
    }

    func waitUntilWritable() async { await forward?.waitUntilWritable() }

    /// Frames are needed for `--verify` or for a `--record` file; otherwise the server can skip them.
    var recordsTraffic: Bool { keepsTraffic || forward != nil }

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
