import GatewayModel
import GatewayReplay
import NIOCore
import Synchronization
import Testing

/// A clock tests move by hand.
struct ManualClock: Clock {
    struct Instant: InstantProtocol, Sendable {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }
    var now: Instant { Instant(offset: .zero) }
    var minimumResolution: Duration { .nanoseconds(1) }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
}

/// The scheduler as a pure state machine: ordering, scaling, gaps, pauses across a reconnect.
struct ReplaySchedulerTests {
    typealias Scheduler = ReplayScheduler<ManualClock>
    static let ms: Int64 = 1_000_000

    static func dispatch(_ name: String, at ms: Int64) -> ReplayTimeline.Event {
        .init(offset: ms * Self.ms, kind: .dispatch(event: name, data: ByteBuffer(string: "{}"), guildID: nil))
    }

    static func at(_ ms: Int64) -> ManualClock.Instant { .init(offset: .milliseconds(ms)) }

    /// Runs the scheduler, jumping the clock to each wake-up; returns (event, time) pairs.
    static func drive(_ scheduler: inout Scheduler, from start: Int64 = 0, reconnectAfter: Int64 = 0) -> [(String, Int64)] {
        var now = start
        var log: [(String, Int64)] = []
        for _ in 0..<1_000 {
            switch scheduler.next(now: at(now)) {
            case .perform(let event):
                switch event.kind {
                case .dispatch(let name, _, _): log.append((name, now))
                case .interaction: log.append(("INTERACTION_CREATE", now))
                case .control(let action, _): log.append((action, now))
                }
            case .sleep(let until): now = Int64(until.offset.components.seconds * 1000) + Int64(until.offset.components.attoseconds / 1_000_000_000_000_000)
            case .awaitReconnect:
                now += reconnectAfter
                log.append(("reconnect", now))
                scheduler.reconnected()
            case .finished:
                log.append(("end", now))
                return log
            }
        }
        Issue.record("scheduler did not finish")
        return log
    }

    @Test func eventsLeaveAtTheirOffsetsInOrder() {
        let timeline = ReplayTimeline(segments: [.init(events: [Self.dispatch("A", at: 0), Self.dispatch("B", at: 100), Self.dispatch("C", at: 100), Self.dispatch("D", at: 250)], duration: 400 * Self.ms)])
        var scheduler = Scheduler(timeline: timeline, pacing: .speed(1))
        scheduler.start(at: Self.at(1_000))
        let log = Self.drive(&scheduler, from: 1_000)
        #expect(log.map(\.0) == ["A", "B", "C", "D", "end"])
        #expect(log.map(\.1) == [1_000, 1_100, 1_100, 1_250, 1_400])
        #expect(scheduler.performed == 4)
    }

    @Test func speedScalesOffsetsAndTheTail() {
        let timeline = ReplayTimeline(segments: [.init(events: [Self.dispatch("A", at: 100), Self.dispatch("B", at: 1_000)], duration: 2_000 * Self.ms)])
        var scheduler = Scheduler(timeline: timeline, pacing: .speed(10))
        scheduler.start(at: Self.at(0))
        #expect(Self.drive(&scheduler).map(\.1) == [10, 100, 200])
    }

    @Test func maxSpeedSendsBackToBack() {
        let timeline = ReplayTimeline(segments: [.init(events: [Self.dispatch("A", at: 100), Self.dispatch("B", at: 5_000)], duration: 9_000 * Self.ms)])
        var scheduler = Scheduler(timeline: timeline, pacing: .maxSpeed)
        scheduler.start(at: Self.at(0))
        // The events at once; the bot still gets the recorded 4 s after the last one to answer them.
        #expect(Self.drive(&scheduler).map(\.1) == [0, 0, 4_000])
        var capped = Scheduler(timeline: timeline, pacing: .maxSpeed, maxGap: .milliseconds(500))
        capped.start(at: Self.at(0))
        #expect(Self.drive(&capped).map(\.1) == [0, 0, 500])
    }

    @Test func maxGapCapsIdleGaps() {
        let timeline = ReplayTimeline(segments: [.init(events: [Self.dispatch("A", at: 0), Self.dispatch("B", at: 60_000), Self.dispatch("C", at: 60_100)], duration: 60_100 * Self.ms)])
        var scheduler = Scheduler(timeline: timeline, pacing: .speed(1), maxGap: .milliseconds(500))
        scheduler.start(at: Self.at(0))
        #expect(Self.drive(&scheduler).map(\.1) == [0, 500, 600, 600])
    }

    @Test func theTimelinePausesUntilTheBotReconnects() {
        let timeline = ReplayTimeline(segments: [
            .init(events: [Self.dispatch("A", at: 10), .init(offset: 20 * Self.ms, kind: .control(action: "disconnect", args: ["code": 4000]))], duration: 30 * Self.ms),
            .init(events: [Self.dispatch("B", at: 50)], duration: 100 * Self.ms),
        ])
        var scheduler = Scheduler(timeline: timeline, pacing: .speed(1))
        scheduler.start(at: Self.at(0))
        let log = Self.drive(&scheduler, reconnectAfter: 5_000)
        #expect(log.map(\.0) == ["A", "disconnect", "reconnect", "B", "end"])
        // B is 50 ms after the live reconnect, however long the bot took.
        #expect(log.map(\.1) == [10, 20, 5_020, 5_070, 5_120])
    }

    @Test func aReconnectThatCameEarlyIsNotWaitedForAgain() {
        let timeline = ReplayTimeline(segments: [
            .init(events: [Self.dispatch("A", at: 10)], duration: 20 * Self.ms),
            .init(events: [Self.dispatch("B", at: 10)], duration: 20 * Self.ms),
        ])
        var scheduler = Scheduler(timeline: timeline, pacing: .speed(1))
        scheduler.start(at: Self.at(0))
        scheduler.reconnected()
        #expect(scheduler.next(now: Self.at(10)) == .perform(Self.dispatch("A", at: 10)))
        #expect(scheduler.next(now: Self.at(10)) == .sleep(until: Self.at(20)))
        #expect(scheduler.next(now: Self.at(20)) == .perform(Self.dispatch("B", at: 10)))
    }

    @Test func aSegmentStartedByAnotherShardSaysWhichShardItAwaits() {
        let timeline = ReplayTimeline(segments: [
            .init(events: [Self.dispatch("A", at: 10)], duration: 20 * Self.ms),
            .init(events: [Self.dispatch("B", at: 10)], duration: 20 * Self.ms, newShard: 1),
            .init(events: [Self.dispatch("C", at: 10)], duration: 20 * Self.ms),
        ])
        var scheduler = Scheduler(timeline: timeline, pacing: .speed(1))
        scheduler.start(at: Self.at(0))
        #expect(scheduler.next(now: Self.at(10)) == .perform(Self.dispatch("A", at: 10)))
        #expect(scheduler.next(now: Self.at(20)) == .awaitReconnect)
        #expect(scheduler.awaitedShard == 1)
        scheduler.reconnected()
        #expect(scheduler.next(now: Self.at(30)) == .sleep(until: Self.at(40)))
        #expect(scheduler.next(now: Self.at(40)) == .perform(Self.dispatch("B", at: 10)))
        #expect(scheduler.next(now: Self.at(50)) == .awaitReconnect)
        #expect(scheduler.awaitedShard == nil)
    }

    @Test func nothingHappensBeforeStart() {
        let timeline = ReplayTimeline(segments: [.init(events: [Self.dispatch("A", at: 0)], duration: 0)])
        var scheduler = Scheduler(timeline: timeline, pacing: .speed(1))
        #expect(scheduler.next(now: Self.at(100)) == .awaitReconnect)
    }
}
