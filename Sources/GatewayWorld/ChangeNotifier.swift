import Synchronization

/// Lets a long-poll wait for a condition without a sleep loop: waiters suspend until `notify()` (a
/// change) or their deadline, then check again (`?wait=MS` of the actions and interactions calls).
public final class ChangeNotifier: Sendable {
    private struct State {
        var version: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes every waiter.
    public func notify() {
        // Called on every REST call: nothing is allocated when no one waits.
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.version &+= 1
            guard !state.waiters.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns `check()`'s first non-nil answer, or nil once `milliseconds` have passed without one.
    public func wait<T>(milliseconds: Int, until check: () -> T?) async -> T? {
        let deadline = ContinuousClock.now + .milliseconds(max(0, milliseconds))
        while true {
            let version = state.withLock { $0.version }
            if let value = check() { return value }
            guard ContinuousClock.now < deadline else { return nil }
            await waitForChange(after: version, deadline: deadline)
        }
    }

    /// Suspends until the version moves past `version` or the deadline passes.
    private func waitForChange(after version: UInt64, deadline: ContinuousClock.Instant) async {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let changed = state.withLock { state -> Bool in
                if state.version != version { return true }
                state.waiters[id] = continuation
                return false
            }
            if changed { continuation.resume() }
        }
        timer.cancel()
    }
}
