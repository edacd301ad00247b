import Dispatch
import GatewayModel
import NIOCore
import Synchronization

/// The hand-off between producers (network event loops, tasks) and the writer thread.
///
/// Producers append under a mutex and never wait. The writer swaps the whole queue out in one
/// critical section, so the lock is held for an append or a swap, never for I/O. Counters track the
/// backlog (recorded but not committed), which drives backpressure and `flush()`.
final class RecorderQueue: Sendable {
    enum Take {
        /// `batch` holds events to write.
        case batch
        /// Nothing queued; the writer was marked idle and may wait on `wakeup` (`sleep`).
        case sleep
        /// Closing and fully drained: the writer commits and finishes.
        case finish
    }

    private struct State {
        var queue: [RecordEvent] = []
        var recorded: UInt64 = 0
        var written: UInt64 = 0
        var pendingEvents = 0
        var pendingBytes = 0
        var late: UInt64 = 0
        var throttleCount: UInt64 = 0
        var throttled = false
        var writerIdle = false
        var closing = false
        /// The writer saw the queue empty while closing: later events cannot be written.
        var drained = false
        /// The writer thread has closed the database.
        var closed = false
        var failure: RecordingError?
        var writableWaiters: [CheckedContinuation<Void, Never>] = []
        var flushWaiters: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let options: Recorder.Options

    init(options: Recorder.Options) {
        self.options = options
    }

    /// What an event weighs in the byte budget.
    @inline(__always)
    static func weight(of event: RecordEvent) -> Int {
        switch event {
        case .frame(let frame): return frame.payload.readableBytes + 64
        case .control(let control):
            switch control.arguments {
            case .json(let text): return text.utf8.count + 64
            case .dispatch(let event, _): return event.utf8.count + 96
            }
        case .http(let http): return http.request.utf8.count + http.response.utf8.count + 64
        default: return 64
        }
    }

    // MARK: Producers

    /// Appends events in order; never blocks beyond the mutex.
    @inline(__always)
    func append(_ events: some Collection<RecordEvent>) {
        guard !events.isEmpty else { return }
        var weight = 0
        for event in events { weight &+= Self.weight(of: event) }
        let highEvents = options.highWaterEvents
        let highBytes = options.highWaterBytes
        let wake = state.withLock { state -> Bool in
            if state.drained {
                state.late &+= UInt64(events.count)
                return false
            }
            state.queue.append(contentsOf: events)
            state.recorded &+= UInt64(events.count)
            state.pendingEvents &+= events.count
            state.pendingBytes &+= weight
            if state.pendingEvents > highEvents || state.pendingBytes > highBytes {
                state.throttled = true
            }
            if state.writerIdle {
                state.writerIdle = false
                return true
            }
            return false
        }
        if wake { wakeup.signal() }
    }

    /// Whether the backlog went over the high-water mark and is not yet back under the low-water mark.
    var isThrottled: Bool { state.withLock { $0.throttled } }

    /// Suspends while the backlog is over the high-water mark (until it is under the low-water mark).
    func waitUntilWritable() async {
        let mustWait = state.withLock { $0.throttled }
        guard mustWait else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                guard state.throttled else { return true }
                state.throttleCount &+= 1
                state.writableWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Suspends until every event appended before the call is committed (or the recorder is closed).
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.written >= state.recorded || state.closed { return true }
                state.flushWaiters.append((state.recorded, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Asks the writer to drain and close; does not wait.
    func requestClose() {
        let wake = state.withLock { state -> Bool in
            state.closing = true
            if state.writerIdle {
                state.writerIdle = false
                return true
            }
            return false
        }
        if wake { wakeup.signal() }
    }

    /// Asks the writer to drain and close, and waits until the database is closed.
    /// - Returns: the first write failure, if any.
    func close() async -> RecordingError? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (resumeNow, wake) = state.withLock { state -> (Bool, Bool) in
                state.closing = true
                if state.closed { return (true, false) }
                state.closeWaiters.append(continuation)
                let wake = state.writerIdle
                state.writerIdle = false
                return (false, wake)
            }
            if wake { wakeup.signal() }
            if resumeNow { continuation.resume() }
        }
        return failure
    }

    var failure: RecordingError? { state.withLock { $0.failure } }

    var statistics: Recorder.Statistics {
        state.withLock { state in
            Recorder.Statistics(
                recorded: state.recorded, written: state.written, pending: state.pendingEvents,
                pendingBytes: state.pendingBytes, late: state.late, throttled: state.throttleCount)
        }
    }

    // MARK: Writer

    /// Swaps the queued events into `batch` (which must be empty) or says why there are none.
    func take(into batch: inout [RecordEvent]) -> Take {
        state.withLock { state -> Take in
            if !state.queue.isEmpty {
                swap(&state.queue, &batch)
                return .batch
            }
            if state.closing {
                state.drained = true
                return .finish
            }
            state.writerIdle = true
            return .sleep
        }
    }

    /// The writer goes on working after a `.sleep` answer without sleeping.
    func clearIdle() {
        state.withLock { $0.writerIdle = false }
    }

    /// Blocks the writer thread until a producer or `close` signals, or until `deadline`.
    func sleep(until deadline: DispatchTime? = nil) {
        if let deadline {
            if wakeup.wait(timeout: deadline) == .timedOut {
                state.withLock { $0.writerIdle = false }
            }
        } else {
            wakeup.wait()
        }
    }

    /// The writer committed (or gave up on) `events` events weighing `bytes`.
    func didWrite(events: Int, bytes: Int) {
        let lowEvents = options.lowWaterEvents
        let lowBytes = options.lowWaterBytes
        let (writable, flushed) = state.withLock {
            state -> ([CheckedContinuation<Void, Never>], [CheckedContinuation<Void, Never>]) in
            state.written &+= UInt64(events)
            state.pendingEvents -= events
            state.pendingBytes -= bytes
            var writable: [CheckedContinuation<Void, Never>] = []
            if state.throttled && state.pendingEvents <= lowEvents && state.pendingBytes <= lowBytes {
                state.throttled = false
                swap(&writable, &state.writableWaiters)
            }
            var flushed: [CheckedContinuation<Void, Never>] = []
            if !state.flushWaiters.isEmpty {
                let written = state.written
                state.flushWaiters.removeAll { waiter in
                    guard waiter.target <= written else { return false }
                    flushed.append(waiter.continuation)
                    return true
                }
            }
            return (writable, flushed)
        }
        for continuation in writable { continuation.resume() }
        for continuation in flushed { continuation.resume() }
    }

    /// Keeps the first write failure (later ones are usually consequences of it).
    func noteFailure(_ error: RecordingError) {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
        }
    }

    /// The writer closed the database: wake everyone who waits.
    func didClose() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            state.throttled = false
            let all = state.closeWaiters + state.writableWaiters + state.flushWaiters.map(\.continuation)
            state.closeWaiters = []
            state.writableWaiters = []
            state.flushWaiters = []
            return all
        }
        for continuation in waiters { continuation.resume() }
    }
}
