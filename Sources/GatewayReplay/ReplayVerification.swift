import GatewayDiff
import GatewayModel
import GatewayRecording

/// `replay --verify`: the live bot's frames against the recorded bot's, through the same comparison
/// as `gatewaytape diff` (normalised, aligned by protocol step, heartbeats by cadence).
public struct ReplayVerdict: Sendable {
    /// Whether the live bot behaved as the recorded one (and the replay finished).
    public var passed: Bool
    /// The comparison, recorded (A) against live (B).
    public var comparison: ComparisonReport
    /// Why the replay stopped early, if it did.
    public var timeoutReason: String?
    /// One line per live op 8 request that the recording had no answer for (the world answered it).
    public var unansweredRequests: [String]

    /// Compares a finished replay with its recording.
    /// - Parameters:
    ///   - recorded: the replayed session.
    ///   - outcome: what the replay saw.
    ///   - options: normalisation and tolerances; the bot's own final close is not compared (a replay ends
    ///     by closing the bot with 1001).
    public init(recorded: RecordedSession, outcome: ReplayOutcome, options: ComparisonOptions = .verification) {
        let recordedBehaviour = BotBehaviour(
            frames: recorded.frames, connections: recorded.connections, http: recorded.http, label: recorded.label)
        let liveBehaviour = BotBehaviour(
            frames: outcome.liveFrames, connections: outcome.liveConnections, http: outcome.liveHTTP, label: "live bot")
        comparison = BehaviourComparison.compare(recordedBehaviour, liveBehaviour, options: options)
        timeoutReason = outcome.timeoutReason
        unansweredRequests = outcome.unansweredMemberRequests.map { request in
            "the live bot's op 8 \(request.jsonString) has no recorded answer: the replay's world answered it"
        }
        passed = comparison.isEqual && outcome.timeoutReason == nil && unansweredRequests.isEmpty
    }

    /// The first thing that went wrong, in one line (`nil` when the replay passed).
    public var firstProblem: String? {
        guard !passed else { return nil }
        return timeoutReason ?? comparison.firstDivergenceSummary ?? unansweredRequests.first ?? "the bot behaved differently"
    }

    /// The report for people: the first divergence side by side, hints, timings.
    public func render(color: Bool) -> String {
        var text = comparison.render(format: .text(color: color))
        if !unansweredRequests.isEmpty { text = unansweredRequests.joined(separator: "\n") + "\n" + text }
        if let timeoutReason { text = "replay stopped early: \(timeoutReason)\n" + text }
        return text
    }
}

extension ComparisonOptions {
    /// Options for `replay --verify`: as `diff`, but without the bot's last close, and ids compared as
    /// they are (the replay serves the recorded ones; the caused dispatches it sends when the bot calls
    /// would otherwise move where an id first appears).
    public static var verification: ComparisonOptions {
        var options = ComparisonOptions()
        options.includeClientCloses = false
        options.aliasesSnowflakes = false
        return options
    }
}
