/// The rules of one session as a pure state machine: events in, firings out. No I/O and no clock of
/// its own (times are monotonic nanoseconds handed in), so tests drive it without sockets.
///
/// ```swift
/// var engine = ScenarioEngine(scenario: scenario)
/// engine.ready(at: now)                                   // the session's first READY
/// for firing in engine.observe(.clientOp(1), at: now) { ... }   // a heartbeat
/// if let deadline = engine.nextDeadline { ... engine.fireTimers(at: deadline) }
/// ```
public struct ScenarioEngine: Sendable {
    /// A rule that fired: do its steps, recording each action with the rule's label.
    public struct Firing: Sendable, Equatable {
        /// The rule's name, else its number (`args.scenario` of the recorded actions).
        public var rule: String
        public var steps: [ScenarioRule.Step]

        public init(rule: String, steps: [ScenarioRule.Step]) {
            self.rule = rule
            self.steps = steps
        }
    }

    private struct RuleState: Sendable {
        let rule: ScenarioRule
        /// Firings left; `nil` for `always`.
        var remaining: Int?
        /// Occurrences of the rule's event seen so far.
        var seen = 0
        /// A timer rule's next due time.
        var due: UInt64?

        var isSpent: Bool { remaining == 0 }

        mutating func fire() -> Firing {
            if let left = remaining { remaining = left - 1 }
            return Firing(rule: rule.label, steps: rule.steps)
        }
    }

    public let scenario: Scenario
    private var rules: [RuleState]
    /// The session's first READY.
    public private(set) var readyAt: UInt64?

    /// - Parameters:
    ///   - scenario: the rules.
    ///   - readyAt: the session's first READY, when it already happened (a scenario armed later).
    public init(scenario: Scenario, readyAt: UInt64? = nil) {
        self.scenario = scenario
        self.rules = scenario.rules.map { rule in
            let remaining: Int? = switch rule.times {
            case .count(let count): count
            case .always: nil
            }
            return RuleState(rule: rule, remaining: remaining)
        }
        if let readyAt { ready(at: readyAt) }
    }

    /// Whether any rule waits for dispatches (so the server looks at outgoing dispatches only then).
    public var watchesDispatches: Bool {
        rules.contains { state in
            if case .dispatched? = state.rule.trigger.event { !state.isSpent } else { false }
        }
    }

    /// The session's first READY: timer rules start counting. Later calls change nothing.
    public mutating func ready(at now: UInt64) {
        guard readyAt == nil else { return }
        readyAt = now
        for index in rules.indices where rules[index].rule.trigger.isTimer {
            rules[index].due = now &+ Self.nanoseconds(rules[index].rule.trigger.afterMilliseconds ?? 0)
        }
    }

    /// An event of the session happened at `now`: returns the rules that fire, in document order.
    public mutating func observe(_ event: ScenarioTrigger.Event, at now: UInt64) -> [Firing] {
        var firings: [Firing] = []
        for index in rules.indices {
            let trigger = rules[index].rule.trigger
            guard let expected = trigger.event, Self.matches(expected, event) else { continue }
            rules[index].seen += 1
            guard !rules[index].isSpent, rules[index].seen >= trigger.nth else { continue }
            if let after = trigger.afterMilliseconds {
                guard let readyAt, now >= readyAt &+ Self.nanoseconds(after) else { continue }
            }
            firings.append(rules[index].fire())
        }
        return firings
    }

    /// When the next timer rule is due (monotonic ns), or `nil` when none is pending.
    public var nextDeadline: UInt64? {
        rules.compactMap { $0.isSpent ? nil : $0.due }.min()
    }

    /// Fires the timer rules due at `now`. A timer rule with more firings left is due again
    /// `after_ms` later.
    public mutating func fireTimers(at now: UInt64) -> [Firing] {
        var firings: [Firing] = []
        for index in rules.indices {
            guard !rules[index].isSpent, let due = rules[index].due, due <= now else { continue }
            firings.append(rules[index].fire())
            rules[index].due = rules[index].isSpent ? nil : due &+ Self.nanoseconds(rules[index].rule.trigger.afterMilliseconds ?? 0)
        }
        return firings
    }

    private static func matches(_ expected: ScenarioTrigger.Event, _ event: ScenarioTrigger.Event) -> Bool {
        switch (expected, event) {
        case (.rest(let method, let route), .rest(let actualMethod, let actualRoute)):
            method == actualMethod.uppercased() && route == actualRoute
        default:
            expected == event
        }
    }

    private static func nanoseconds(_ milliseconds: Int64) -> UInt64 { UInt64(max(0, milliseconds)) &* 1_000_000 }
}
