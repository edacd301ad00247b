import GatewayModel
import GatewayRecording
import GatewayScenario
import GatewayServer
import Logging
import NIOCore

/// How a replay runs.
public struct ReplayOptions: Sendable {
    public var host: String
    public var port: Int
    public var pacing: ReplayScheduler<ContinuousClock>.Pacing
    public var maxGap: Duration?
    /// Ends a run whose bot never connects or never recovers.
    public var timeout: Duration?
    /// Keep the live bot's frames for `ReplayVerdict` (`--verify`); off, a replay costs less per event.
    public var keepsLiveTraffic: Bool
    /// Rules armed on the live session on top of the recording's own faults (`--scenario`).
    public var scenario: Scenario?

    public init(
        host: String = "127.0.0.1", port: Int = 8765, pacing: ReplayScheduler<ContinuousClock>.Pacing = .speed(1),
        maxGap: Duration? = nil, timeout: Duration? = nil, keepsLiveTraffic: Bool = true, scenario: Scenario? = nil
    ) {
        self.scenario = scenario
        self.host = host
        self.port = port
        self.pacing = pacing
        self.maxGap = maxGap
        self.timeout = timeout
        self.keepsLiveTraffic = keepsLiveTraffic
    }
}

/// What happened in a replay.
public struct ReplayOutcome: Sendable {
    /// Timeline events performed, and their total.
    public var performed: Int
    public var total: Int
    /// Why the run stopped early (`--timeout`), if it did.
    public var timeoutReason: String?
    /// The live session's frames, connections and REST calls (for `--verify`).
    public var liveFrames: [StoredFrame]
    public var liveConnections: [StoredConnection]
    public var liveHTTP: [StoredHTTPCall]
    /// The live bot's op 8 requests (their `d`) that the recording had no answer for: the server's
    /// world answered them, and `--verify` reports them.
    public var unansweredMemberRequests: [JSONValue]
}

/// Progress for the progress line.
public struct ReplayProgress: Sendable {
    public var performed: Int
    public var total: Int
    /// Recorded position in seconds from the first READY.
    public var position: Double
    public var waitingForReconnect: Bool
    /// While waiting: the shard the recording shows identifying next (`nil`: a reconnect).
    public var awaitedShard: Int?
}

/// Serves a recorded session to a live bot: the recorded world on IDENTIFY, then the timeline of
/// dispatches and faults at scaled times through the server's own operations.
public final class ReplayRunner: Sendable {
    public let server: GatewayServer
    private let recording: RecordedSession
    private let options: ReplayOptions
    private let observer: ReplayObserver

    /// - Parameters:
    ///   - recording: the session to replay.
    ///   - options: address, pacing, gaps, timeout.
    ///   - recordingSink: where `--record` writes the replay itself, if anywhere.
    public init(recording: RecordedSession, options: ReplayOptions, recordingSink: (any RecordingSink)? = nil, logger: Logger = GatewayServer.defaultLogger) {
        self.recording = recording
        self.options = options
        let observer = ReplayObserver(forward: recordingSink, keepsTraffic: options.keepsLiveTraffic)
        self.observer = observer
        let interval: Int
        switch options.pacing {
        case .speed(let factor): interval = max(1_000, Int(Double(recording.heartbeatInterval) / factor))
        case .maxSpeed: interval = max(1_000, recording.heartbeatInterval)
        }
        var configuration = GatewayServerConfiguration(
            host: options.host, port: options.port, heartbeatInterval: interval, fixture: recording.fixture,
            recordingSink: observer, commandResponder: recording.responses, scenario: options.scenario)
        configuration.restResponder = recording.recordedCalls
        configuration.interactionCallbackWindow = options.pacing.interactionCallbackWindow
        server = GatewayServer(configuration: configuration, logger: logger)
    }

    /// Runs the server and the timeline; returns when the timeline and its tail are done (or at the timeout).
    /// - Parameters:
    ///   - onListening: called with the bound port.
    ///   - onProgress: called after each event and while waiting.
    public func run(onListening: @Sendable (Int) -> Void = { _ in }, onProgress: @Sendable (ReplayProgress) -> Void = { _ in }) async throws -> ReplayOutcome {
        let server = self.server
        let serverTask = Task { try await server.run() }
        defer { serverTask.cancel() }
        onListening(try await server.listeningPort())
        let clock = ContinuousClock()
        let deadline = options.timeout.map { clock.now.advanced(by: $0) }
        var scheduler = ReplayScheduler<ContinuousClock>(timeline: recording.timeline, pacing: options.pacing, maxGap: options.maxGap)
        let total = recording.timeline.eventCount
        func progress(waiting: Bool) -> ReplayProgress {
            ReplayProgress(
                performed: scheduler.performed, total: total, position: Double(scheduler.position) / 1e9,
                waitingForReconnect: waiting, awaitedShard: waiting ? scheduler.awaitedShard : nil)
        }

        guard let first = await waitForIdentify(index: 0, deadline: deadline) else {
            await server.close()
            _ = try? await serverTask.value
            return outcome(scheduler: scheduler, total: total, sessionID: nil, timeout: "no bot identified within the timeout")
        }
        let sessionID = first.sessionID
        scheduler.start(at: instant(ofMonotonic: first.t, clock: clock))
        var consumedIdentifies = 1
        var timeoutReason: String?
        var sinceBackpressure = 0
        loop: while true {
            switch scheduler.next(now: clock.now) {
            case .perform(let event):
                perform(event, sessionID: sessionID)
                onProgress(progress(waiting: false))
                if options.pacing == .maxSpeed {
                    sinceBackpressure += 1
                    if sinceBackpressure >= 256 {
                        sinceBackpressure = 0
                        await server.waitForCapacity(sessionID)
                        await observer.waitUntilWritable()
                    }
                }
            case .sleep(let until):
                if let deadline, until > deadline {
                    try? await Task.sleep(until: deadline, clock: clock)
                    timeoutReason = "the timeline did not finish within the timeout"
                    break loop
                }
                try await Self.sleepPrecisely(until: until, clock: clock)
            case .awaitReconnect:
                // Reconnects are counted here, at the end of a segment, where the scheduler needs
                // them (one that came early is already in the observer and returns at once).
                onProgress(progress(waiting: true))
                guard let next = await waitForIdentify(index: consumedIdentifies, deadline: deadline) else {
                    timeoutReason = scheduler.awaitedShard.map {
                        "shard \($0) of the bot did not identify within the timeout (the recording has more shards "
                            + "than the live bot started: run it with the recorded shard count)"
                    } ?? "the bot did not reconnect (resume or identify) within the timeout"
                    break loop
                }
                consumedIdentifies += 1
                if next.sessionID == sessionID { scheduler.reconnected() }
            case .finished:
                break loop
            }
        }
        // Recorded REST calls the bot has not made yet: it gets a short grace to make them (a late call
        // is still a match, not a divergence).
        if timeoutReason == nil {
            let grace = deadline.map { min(RecordedCalls.lateCallGrace, Int((($0 - clock.now) / .milliseconds(1)).rounded(.down))) }
            await recording.recordedCalls.waitUntilUsed(milliseconds: grace ?? RecordedCalls.lateCallGrace)
        }
        let result = outcome(scheduler: scheduler, total: total, sessionID: sessionID, timeout: timeoutReason)
        await server.close()
        _ = try? await serverTask.value
        return result
    }

    private func outcome(scheduler: ReplayScheduler<ContinuousClock>, total: Int, sessionID: String?, timeout: String?) -> ReplayOutcome {
        let live = sessionID.map { observer.live(sessionID: $0) } ?? (frames: [], connections: [], http: [])
        let (http, frames) = recording.recordedCalls.recordedForm(calls: live.http, frames: live.frames)
        return ReplayOutcome(
            performed: scheduler.performed, total: total, timeoutReason: timeout, liveFrames: frames,
            liveConnections: live.connections, liveHTTP: http,
            unansweredMemberRequests: recording.responses.unansweredRequests.filter { $0.sessionID == sessionID }.map(\.data))
    }

    /// Waits until the `index`-th successful IDENTIFY/RESUME (nil at the deadline).
    private func waitForIdentify(index: Int, deadline: ContinuousClock.Instant?) async -> ReplayObserver.Identification? {
        let observer = self.observer
        guard let deadline else { return await observer.identified(index) }
        // Whichever comes first: the identification (the observer resumes the waiter) or the deadline.
        return await withTaskGroup(of: ReplayObserver.Identification?.self) { group in
            group.addTask { await observer.identified(index) }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The `ContinuousClock` instant of a `MonotonicClock` reading.
    private func instant(ofMonotonic t: UInt64, clock: ContinuousClock) -> ContinuousClock.Instant {
        clock.now.advanced(by: .nanoseconds(-Int64(MonotonicClock.now() &- t)))
    }

    /// Sleeps to within a fraction of a millisecond of `until`: a timer for all but the last
    /// millisecond, then yields until the instant.
    static func sleepPrecisely(until: ContinuousClock.Instant, clock: ContinuousClock) async throws {
        let early = until.advanced(by: .milliseconds(-1))
        if clock.now < early { try await Task.sleep(until: early, tolerance: .zero, clock: clock) }
        while clock.now < until { await Task.yield() }
    }

    private func perform(_ event: ReplayTimeline.Event, sessionID: String) {
        switch event.kind {
        case .dispatch(let name, let data, let guildID):
            server.dispatchToSession(sessionID, event: name, payload: DispatchPayload(jsonBytes: data), guild: guildID, asControl: false)
        case .interaction(let data):
            recording.recordedCalls.redispatch(interaction: data, sessionID: sessionID, server: server)
        case .control(let action, let args):
            ControlReenactment.perform(action: action, args: args, sessionID: sessionID, server: server, pacing: options.pacing)
        }
    }
}
