import GatewayModel
import GatewayScenario

/// Scenarios (SPEC §9): arming them on sessions and firing their rules at the moment the bot acts.
/// Every event of a session goes through `observeScenario(_:session:target:)`, whatever the command
/// (`serve`, `replay`, the control API): one evaluation path.
extension GatewayServer {
    /// Arms a scenario on a session, replacing the one armed before. Rule counts (`nth`) start now;
    /// `after_ms` counts from the session's first READY, even if it came before.
    /// - Returns: the number of rules armed, or `nil` when the session is unknown.
    @discardableResult
    public func armScenario(_ scenario: Scenario, on sessionID: String) -> Int? {
        guard let session = state.registry.session(id: sessionID) else { return nil }
        arm(scenario, on: session)
        return scenario.rules.count
    }

    /// Disarms a session's scenario. Returns whether the session exists.
    @discardableResult
    public func disarmScenario(_ sessionID: String) -> Bool {
        guard let session = state.registry.session(id: sessionID) else { return false }
        session.arm(nil)?.stop()
        state.recordControl(sessionID: sessionID, action: "scenario", args: ["rules": 0])
        return true
    }

    /// The scenario armed on a session, if any.
    public func scenario(of sessionID: String) -> Scenario? {
        state.registry.session(id: sessionID)?.scenario?.scenario
    }

    func arm(_ scenario: Scenario, on session: BotSession) {
        let armed = SessionScenario(scenario, readyAt: session.firstReadyAt)
        session.arm(armed)?.stop()
        state.recordControl(
            sessionID: session.id, action: "scenario",
            args: ["name": scenario.name.map { .string($0) } ?? .null, "rules": .int(Int64(scenario.rules.count))])
        if session.firstReadyAt != nil { startTimers(armed, session: session) }
    }

    /// The REST layer calls this for every REST call of a session, with the route template
    /// (`POST /channels/{channel.id}/messages`), BEFORE it looks for a pending REST fault: a rule
    /// such as "429 on the first reply" arms its fault here so that it answers this very call.
    func observeRESTCall(sessionID: String, method: String, route: String) {
        guard let session = state.registry.session(id: sessionID) else { return }
        observeScenario(.rest(method: method, route: route), session: session, target: .session(session))
    }

    /// Feeds an event to the session's scenario and performs the rules that fire, on `target`.
    /// - Returns: whether an action replaced the answer to the frame being handled (the connection
    ///   was closed or dropped, or got op 9).
    @discardableResult
    func observeScenario(_ event: ScenarioTrigger.Event, session: BotSession, target: ControlTarget) -> Bool {
        guard let scenario = session.scenario else { return false }
        return observe(event, scenario: scenario, target: target)
    }

    /// `observeScenario(_:session:target:)` with the session's scenario already at hand (the dispatch path).
    @discardableResult
    func observe(_ event: ScenarioTrigger.Event, scenario: SessionScenario, target: ControlTarget) -> Bool {
        var replaced = false
        for firing in scenario.observe(event, at: MonotonicClock.now()) where run(firing.steps[...], rule: firing.rule, on: target) {
            replaced = true
        }
        return replaced
    }

    /// The session sent its first READY: `after_ms` starts counting.
    func sessionDidBecomeReady(_ session: BotSession, at now: UInt64) {
        guard session.markReady(at: now), let scenario = session.scenario else { return }
        scenario.ready(at: now)
        startTimers(scenario, session: session)
    }

    /// Stops every session's timer rules (the server is closing).
    func stopScenarios() {
        for session in state.registry.sessions { session.scenario?.stop() }
    }

    /// Performs a rule's steps in order; the steps after a `wait_ms` run that much later.
    /// - Returns: whether an action replaced the answer to the frame being handled.
    private func run(_ steps: ArraySlice<ScenarioRule.Step>, rule: String, on target: ControlTarget) -> Bool {
        var replaced = false
        for (index, step) in zip(steps.indices, steps) {
            switch step {
            case .action(let action):
                perform(action, on: target, scenario: rule)
                if action.replacesAnswer, target.isConnection { replaced = true }
            case .wait(let milliseconds):
                let rest = steps[(index + 1)...]
                let later = target.deferred
                Task {
                    try? await Task.sleep(for: .milliseconds(milliseconds))
                    _ = self.run(rest, rule: rule, on: later)
                }
                return replaced
            }
        }
        return replaced
    }

    /// Fires the scenario's timer rules when they are due, on the whole session, until none is left
    /// (or the scenario is disarmed).
    private func startTimers(_ scenario: SessionScenario, session: BotSession) {
        guard scenario.nextDeadline != nil else { return }
        scenario.setTimer(Task { [weak self] in
            while !Task.isCancelled, let deadline = scenario.nextDeadline {
                let now = MonotonicClock.now()
                if deadline > now {
                    try? await Task.sleep(for: .nanoseconds(Int64(deadline - now)))
                    continue
                }
                guard let self else { return }
                for firing in scenario.fireTimers(at: now) {
                    _ = self.run(firing.steps[...], rule: firing.rule, on: .session(session))
                }
            }
        })
    }
}
