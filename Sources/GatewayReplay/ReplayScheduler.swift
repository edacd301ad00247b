/// When each timeline event is due: a pure state machine over any clock, so tests drive it with a
/// manual clock and the runner with `ContinuousClock`.
///
/// Each event leaves at its recorded offset divided by the speed (`maxSpeed`: at once, order kept),
/// with gaps longer than `maxGap` shortened to it; then the bot gets the recorded tail (scaled by the
/// speed, whole at `maxSpeed`, at most `maxGap`). At the end of a segment the scheduler waits for
/// the live bot to reconnect (resume or identify again) and continues from that moment.
public struct ReplayScheduler<C: Clock>: Sendable where C.Duration == Duration, C.Instant: Sendable {
    /// How fast the timeline runs.
    public enum Pacing: Sendable, Equatable {
        /// Recorded offsets divided by this factor (1 = original speed).
        case speed(Double)
        /// Back to back, order kept.
        case maxSpeed
    }

    /// What the runner should do next.
    public enum Action: Equatable, Sendable {
        /// Perform this event now.
        case perform(ReplayTimeline.Event)
        /// Nothing is due before this instant.
        case sleep(until: C.Instant)
        /// The segment is done: wait for the live bot to reconnect, then call `reconnected()`.
        case awaitReconnect
        /// The timeline and its recorded tail are done.
        case finished
    }

    private let timeline: ReplayTimeline
    private let pacing: Pacing
    private let maxGap: Duration?
    private var segment = 0
    private var index = 0
    private var started = false
    private var pendingReconnects = 0
    /// When the previous event was due, and its recorded offset.
    private var previousDue: C.Instant?
    private var previousOffset: Int64 = 0
    private var finishedTail = false

    public init(timeline: ReplayTimeline, pacing: Pacing, maxGap: Duration? = nil) {
        self.timeline = timeline
        self.pacing = pacing
        self.maxGap = maxGap
    }

    /// The live bot's first READY: time zero.
    public mutating func start(at instant: C.Instant) {
        guard !started else { return }
        started = true
        anchor(at: instant)
    }

    /// The live bot resumed or identified again: the next segment may start, anchored at the `now`
    /// of the `next(now:)` call that starts it.
    public mutating func reconnected() {
        pendingReconnects += 1
    }

    /// Events performed so far.
    public var performed: Int {
        timeline.segments.prefix(segment).reduce(0) { $0 + $1.events.count } + index
    }

    /// While waiting at the end of a segment: the shard whose first identify the next segment waits
    /// for, or `nil` when it waits for a reconnect.
    public var awaitedShard: Int? {
        segment + 1 < timeline.segments.count ? timeline.segments[segment + 1].newShard : nil
    }

    /// The recorded position (ns from the first READY) of the next event, for progress lines.
    public var position: Int64 {
        let before = timeline.segments.prefix(segment).reduce(Int64(0)) { $0 + $1.duration }
        return before + previousOffset
    }

    /// The next action at `now`.
    public mutating func next(now: C.Instant) -> Action {
        guard started else { return .awaitReconnect }
        while segment < timeline.segments.count {
            let events = timeline.segments[segment].events
            if index < events.count {
                let event = events[index]
                let due = dueTime(offset: event.offset)
                if due > now { return .sleep(until: due) }
                previousDue = due
                previousOffset = event.offset
                index += 1
                return .perform(event)
            }
            guard segment + 1 < timeline.segments.count else { break }
            guard pendingReconnects > 0 else { return .awaitReconnect }
            pendingReconnects -= 1
            segment += 1
            index = 0
            anchor(at: now)
        }
        // The recorded tail: the bot gets the recorded time after the last event to send its last
        // frames, at `maxSpeed` too (which removes the waits before events, not the bot's time to
        // answer them: it got them all at once, and its answers are what --verify compares).
        guard !finishedTail, let last = timeline.segments.last else { return .finished }
        let tailDue = dueTime(offset: max(last.duration, previousOffset), isTail: true)
        if tailDue > now { return .sleep(until: tailDue) }
        finishedTail = true
        return .finished
    }

    private mutating func anchor(at instant: C.Instant) {
        previousDue = instant
        previousOffset = 0
    }

    private func dueTime(offset: Int64, isTail: Bool = false) -> C.Instant {
        guard let previousDue else { preconditionFailure("not started") }
        let recordedGap = max(0, offset - previousOffset)
        var gap: Duration
        switch pacing {
        case .maxSpeed: gap = isTail ? .nanoseconds(recordedGap) : .zero
        case .speed(let factor): gap = .nanoseconds(Int64((Double(recordedGap) / factor).rounded()))
        }
        if let maxGap, gap > maxGap { gap = maxGap }
        return previousDue.advanced(by: gap)
    }
}
