import GatewayModel
import GatewayScenario
import Synchronization

/// A scenario armed on one session: its engine (rule counts, timers) behind a lock, and the task
/// that fires its timer rules. Events may come from any connection's event loop or an HTTP handler.
final class SessionScenario: Sendable {
    private let engine: Mutex<ScenarioEngine>
    private let timer = Mutex<Task<Void, Never>?>(nil)
    private let dispatchWatch: Atomic<Bool>

    init(_ scenario: Scenario, readyAt: UInt64?) {
        let engine = ScenarioEngine(scenario: scenario, readyAt: readyAt)
        self.dispatchWatch = Atomic(engine.watchesDispatches)
        self.engine = Mutex(engine)
    }

    var scenario: Scenario { engine.withLock { $0.scenario } }

    /// Whether a rule still waits for a dispatch: read once per written batch, so a scenario without
    /// `dispatched` rules costs the dispatch path nothing else.
    var watchesDispatches: Bool { dispatchWatch.load(ordering: .relaxed) }

    func observe(_ event: ScenarioTrigger.Event, at now: UInt64) -> [ScenarioEngine.Firing] {
        engine.withLock { engine in
            let firings = engine.observe(event, at: now)
            if !firings.isEmpty { dispatchWatch.store(engine.watchesDispatches, ordering: .relaxed) }
            return firings
        }
    }

    func ready(at now: UInt64) { engine.withLock { $0.ready(at: now) } }

    var nextDeadline: UInt64? { engine.withLock { $0.nextDeadline } }

    func fireTimers(at now: UInt64) -> [ScenarioEngine.Firing] { engine.withLock { $0.fireTimers(at: now) } }

    /// Replaces the timer task (cancelling the previous one).
    func setTimer(_ task: Task<Void, Never>?) {
        timer.withLock { timer in
            timer?.cancel()
            timer = task
        }
    }

    /// Stops the timer task (the scenario was disarmed, the session deleted or the server closed).
    func stop() { setTimer(nil) }
}
