import GatewayModel
import NIOCore
import Synchronization

/// One gateway session (READY's `session_id`): its sequence numbers, the recent dispatches kept
/// for RESUME, and the connection it is attached to, if any.
///
/// Thread-safe: dispatches arrive from any thread; the lock is never held across I/O (attached
/// connections only get items queued in their outbox).
final class GatewaySession: Sendable {
    /// How long a detached session stays resumable.
    static let resumeWindowNanoseconds: UInt64 = 180 * 1_000_000_000
    /// How many recent dispatches are kept for RESUME.
    static let bufferCapacity = 2_500

    enum Status: Sendable, Equatable {
        case attached
        /// No open connection since `since` (monotonic ns); resumable for three minutes.
        case detached(since: UInt64)
        /// Not resumable: client closed with 1000/1001, server closed with 4007/4009, or invalidated.
        case ended
    }

    struct BufferedDispatch: Sendable {
        let seq: Int64
        let event: String
        let data: ByteBuffer
        let cause: Int64?
    }

    private struct State: Sendable {
        var seq: Int64 = 0
        var buffer = CircularBuffer<BufferedDispatch>(initialCapacity: 4)
        /// The newest sequence number no longer in `buffer` (dropped when full, or acknowledged by a heartbeat).
        var forgotten: Int64 = 0
        var connection: ConnectionHandle?
        var status: Status = .attached
        /// Set by `invalidate()`: the attached connection keeps working, a RESUME is refused.
        var invalidated = false
    }

    let id: String
    let botSession: BotSession
    let intents: GatewayIntents
    /// `[shard_id, num_shards]` from IDENTIFY, if sent.
    let shard: (id: Int, count: Int)?
    private let state: Mutex<State>

    init(id: String, botSession: BotSession, intents: GatewayIntents, shard: (id: Int, count: Int)?, connection: ConnectionHandle) {
        self.id = id
        self.botSession = botSession
        self.intents = intents
        self.shard = shard
        self.state = Mutex(State(connection: connection))
    }

    var seq: Int64 { state.withLock { $0.seq } }
    var status: Status { state.withLock { $0.status } }
    var connection: ConnectionHandle? { state.withLock { $0.connection } }

    /// Whether this session receives events of a guild: `(guild_id >> 22) % num_shards`, DMs to shard 0.
    func ownsGuild(_ guildID: UInt64?) -> Bool {
        guard let shard, shard.count > 1 else { return true }
        guard let guildID else { return shard.id == 0 }
        return Int((guildID >> 22) % UInt64(shard.count)) == shard.id
    }

    /// Assigns the next sequence number, keeps the dispatch for RESUME and queues it on the attached
    /// connection. Returns whether an open connection got it.
    @discardableResult
    func deliver(event: String, data: ByteBuffer, cause: Int64? = nil) -> Bool {
        state.withLock { state in
            guard state.status != .ended else { return false }
            state.seq += 1
            let item = BufferedDispatch(seq: state.seq, event: event, data: data, cause: cause)
            if state.buffer.count >= Self.bufferCapacity { state.forgotten = state.buffer.removeFirst().seq }
            state.buffer.append(item)
            guard let connection = state.connection else { return false }
            connection.enqueue(.dispatch(seq: item.seq, event: event, data: data, cause: cause))
            return true
        }
    }

    /// Drops the buffered dispatches up to `seq`, which the client says it received.
    func forget(through seq: Int64) {
        state.withLock { state in
            let seq = min(seq, state.seq)
            while let first = state.buffer.first, first.seq <= seq { state.buffer.removeFirst() }
            state.forgotten = max(state.forgotten, seq)
        }
    }

    /// The outcome of a RESUME.
    enum ResumeResult {
        case resumed
        /// op 9 `d: false`
        case invalid
        /// close 4007
        case seqAhead
    }

    /// Attaches `connection` and queues every dispatch after `clientSeq`, then RESUMED.
    /// A connection still attached is closed with 4000 (it is a zombie the client gave up on).
    func resume(clientSeq: Int64, connection: ConnectionHandle, now: UInt64) -> ResumeResult {
        let (result, previous): (ResumeResult, ConnectionHandle?) = state.withLock { state in
            if state.invalidated { state.status = .ended }
            switch state.status {
            case .ended: return (.invalid, nil)
            case .detached(let since) where now &- since > Self.resumeWindowNanoseconds:
                state.status = .ended
                return (.invalid, nil)
            default: break
            }
            if clientSeq > state.seq {
                state.status = .ended
                return (.seqAhead, nil)
            }
            // The client missed more than the buffer holds: it cannot resume faithfully.
            if clientSeq < state.forgotten {
                return (.invalid, nil)
            }
            let previous = state.connection
            state.connection = connection
            state.status = .attached
            for item in state.buffer where item.seq > clientSeq {
                connection.enqueue(.dispatch(seq: item.seq, event: item.event, data: item.data, cause: item.cause))
            }
            state.seq += 1
            let resumed = BufferedDispatch(
                seq: state.seq, event: "RESUMED", data: ByteBuffer(staticString: #"{"_trace":["gatewaytape"]}"#), cause: nil)
            state.buffer.append(resumed)
            connection.enqueue(.dispatch(seq: resumed.seq, event: resumed.event, data: resumed.data, cause: nil))
            return (.resumed, previous === connection ? nil : previous)
        }
        previous?.enqueue(.close(code: .unknownError, reason: "Session resumed on another connection", endsSession: false))
        return result
    }

    /// The connection went away. `endsSession` for client 1000/1001 and for server 4007/4009 and
    /// fatal codes; otherwise the session stays resumable for three minutes.
    func detach(_ connection: ConnectionHandle, endsSession: Bool, now: UInt64) {
        state.withLock { state in
            guard state.connection === connection else {
                if endsSession, state.connection == nil { state.status = .ended }
                return
            }
            state.connection = nil
            if state.status != .ended {
                state.status = endsSession || state.invalidated ? .ended : .detached(since: now)
            }
        }
    }

    /// Proxy mode: `connection` resumed this session upstream; it becomes the attached one.
    func adopt(_ connection: ConnectionHandle) {
        state.withLock { state in
            state.connection = connection
            state.status = .attached
        }
    }

    /// Proxy mode: the upstream owns sequence numbers; the last one forwarded is what the control API shows.
    func observe(seq: Int64) { state.withLock { $0.seq = max($0.seq, seq) } }

    /// Whether `invalidate()` was called: a RESUME of this session is refused.
    var isInvalidated: Bool { state.withLock { $0.invalidated } }

    /// Marks the session invalid: the next RESUME gets op 9 `d: false`.
    func invalidate() {
        state.withLock { state in
            state.invalidated = true
            if case .detached = state.status { state.status = .ended }
        }
    }

    /// Whether the session can be forgotten (ended, or detached past the resume window).
    func isExpired(now: UInt64) -> Bool {
        state.withLock { state in
            switch state.status {
            case .ended: state.connection == nil
            case .detached(let since): now &- since > Self.resumeWindowNanoseconds
            case .attached: false
            }
        }
    }
}
