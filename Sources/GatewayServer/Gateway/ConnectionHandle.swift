import GatewayModel
import NIOCore
import Synchronization

/// What can be queued for a connection from any thread.
enum OutboundItem: Sendable {
    /// A dispatch; `cause` is the id of the REST call it follows from (recorded as `frames.cause_http_id`).
    case dispatch(seq: Int64, event: String, data: ByteBuffer, cause: Int64?)
    /// A non-dispatch frame; `data` is the JSON text of `d`.
    case command(op: GatewayOpcode, data: String)
    /// Close with a code; `endsSession` makes the gateway session non-resumable.
    case close(code: GatewayCloseCode, reason: String, endsSession: Bool)
    /// Cut TCP with no close frame.
    case drop
}

/// The thread-safe face of one gateway connection: an outbox any thread can queue into (drained in
/// order on the connection's event loop, one wake-up per batch), what the control API shows of it,
/// and backpressure for producers that can wait.
final class ConnectionHandle: Sendable {
    /// What the control API shows (`GET /api/control/sessions/{id}`).
    struct Info: Sendable {
        var gatewaySessionID: String?
        var sessionID: String?
        var shard: [Int]?
        var intents: UInt64?
        var identified = false
        var open = true
    }

    private struct Outbox: Sendable {
        var items: [OutboundItem] = []
        var drainScheduled = false
        var closed = false
        var channelWritable = true
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Producers wait while more than this many items are queued.
    static let highWaterMark = 1_024

    let id: Int64
    let eventLoop: any EventLoop
    let query: String
    let compression: String?
    private let outbox = Mutex(Outbox())
    private let infoBox: Mutex<Info> = Mutex(Info())
    private let handler: NIOLoopBoundBox<GatewayConnectionHandler?>

    init(id: Int64, eventLoop: any EventLoop, query: String, compression: String?) {
        self.id = id
        self.eventLoop = eventLoop
        self.query = query
        self.compression = compression
        self.handler = NIOLoopBoundBox(nil, eventLoop: eventLoop)
    }

    var info: Info { infoBox.withLock { $0 } }
    func updateInfo(_ body: (inout Info) -> Void) { infoBox.withLock { body(&$0) } }

    /// Binds the handler; called on the event loop.
    func bind(_ handler: GatewayConnectionHandler?) { self.handler.value = handler }

    /// Queues an item; it is written, in queue order, on the connection's event loop.
    func enqueue(_ item: OutboundItem) {
        let schedule = outbox.withLock { outbox -> Bool in
            guard !outbox.closed else { return false }
            outbox.items.append(item)
            guard !outbox.drainScheduled else { return false }
            outbox.drainScheduled = true
            return true
        }
        if schedule { eventLoop.execute { self.drain() } }
    }

    private func drain() {
        let items = outbox.withLock { outbox -> [OutboundItem] in
            outbox.drainScheduled = false
            var taken: [OutboundItem] = []
            swap(&taken, &outbox.items)
            return taken
        }
        guard let handler = handler.value else { return }
        handler.write(items)
        resumeWaitersIfReady()
    }

    /// Called by the handler when the channel's writability changes.
    func setChannelWritable(_ writable: Bool) {
        outbox.withLock { $0.channelWritable = writable }
        if writable { resumeWaitersIfReady() }
    }

    /// Marks the connection closed: later items are dropped and waiting producers released.
    func markClosed() {
        let waiters = outbox.withLock { outbox in
            outbox.closed = true
            outbox.items.removeAll()
            defer { outbox.waiters.removeAll() }
            return outbox.waiters
        }
        infoBox.withLock { $0.open = false }
        for waiter in waiters { waiter.resume() }
    }

    var isClosed: Bool { outbox.withLock { $0.closed } }

    /// Suspends while the outbox is over its high-water mark or the socket is not writable.
    func waitForCapacity() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = outbox.withLock { outbox -> Bool in
                if outbox.closed || (outbox.channelWritable && outbox.items.count < Self.highWaterMark) { return true }
                outbox.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func resumeWaitersIfReady() {
        let waiters = outbox.withLock { outbox -> [CheckedContinuation<Void, Never>] in
            guard outbox.channelWritable, outbox.items.count < Self.highWaterMark, !outbox.waiters.isEmpty else { return [] }
            defer { outbox.waiters.removeAll() }
            return outbox.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
