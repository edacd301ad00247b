import ArgumentParser
import Foundation
import GatewayDiff
import GatewayModel
import GatewayRecording
import GatewayReplay
import GatewayReport
import GatewayServer

/// `gatewaytape replay FILE`: serve a recorded session to a live bot, faults and all.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recorded session to a live bot at original, scaled or full speed.",
        discussion: """
            Serves like `serve` (gateway, REST subset, control API on one port). When the bot identifies \
            (with any token), it gets the recorded world: the recorded user, application and guilds in \
            READY and GUILD_CREATE. Time zero is READY; each recorded dispatch then leaves at its \
            recorded offset divided by --speed (or back to back with --max-speed), and every recorded \
            fault (stop ACKs, disconnect with its code, invalidate, op 7, op 9, heartbeat request, TCP \
            drop) happens again at its scaled time. After a recorded reconnect the timeline waits until \
            the live bot has resumed or identified again. Member chunks (op 8) and voice events (op 4) \
            are sent when the live bot asks for them, chunks under the live request's nonce; a request \
            the recording has no answer for is answered from the recorded guilds and reported by \
            --verify. A recording of several shards replays to a bot \
            with the same shard count: each event goes to the shard that owns its guild. A --scenario \
            adds its rules on top of the recording's own faults.

            The bot's REST calls are answered from the recording: a call takes the first unused \
            recorded call of its route with the same path ids and body (normalised as diff does), \
            and the dispatches that call brought (the bot's own MESSAGE_CREATE, a reaction) leave \
            then, never before. A recorded INTERACTION_CREATE goes out with a fresh id and token. \
            Startup calls, and calls the recording lacks, are answered by the recorded world.

            The run ends when the timeline is done and the bot has had the recorded time after the \
            last event (also at --max-speed), or at --timeout (exit 1). With --verify the bot's frames and REST calls are compared with the \
            recorded bot's: the first divergence is printed and the exit status is 1. --report writes \
            the live run's report (see `gatewaytape report`), pass or fail, so a CI job can keep it \
            next to the --junit file.

            Examples:
              gatewaytape replay recordings/plain.sqlite --verify --timeout 60
              gatewaytape replay golden.sqlite --verify --junit replay.xml --report replay.html
              gatewaytape replay run.sqlite --speed 10 --max-gap 2000 --record replayed.sqlite
              gatewaytape replay run.sqlite --scenario recordings/scenarios/zombie-after-heartbeats.yaml
            """
    )

    @Argument(help: ArgumentHelp("The recording to replay.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The recorded session to replay (default: the only or first one).", valueName: "id"))
    var session: String?

    @Option(help: "Play at this multiple of the original speed (default 1).")
    var speed: Double?

    @Flag(name: .customLong("max-speed"), help: "Send the recorded dispatches back to back (order kept).")
    var maxSpeed = false

    @Option(name: .customLong("max-gap"), help: ArgumentHelp("Shorten idle gaps of the timeline to at most this.", valueName: "ms"))
    var maxGap: Int?

    @Flag(help: "Compare the bot's frames with the recorded bot's; exit 1 on the first divergence.")
    var verify = false

    @Option(help: ArgumentHelp("Write the verdict as JUnit XML (for CI systems).", valueName: "out.xml"))
    var junit: String?

    @Option(help: ArgumentHelp("Write the live run's report as HTML (see `gatewaytape report`).", valueName: "out.html"))
    var report: String?

    @Option(help: ArgumentHelp("Record the replay itself (meta.mode = replay).", valueName: "file"))
    var record: String?

    @Flag(help: "Replace the --record, --junit and --report files if they exist.")
    var overwrite = false

    @OptionGroup var server: ServerOptions

    @OptionGroup var scenario: ScenarioOption

    @Option(help: ArgumentHelp("Give up after this many seconds (a bot that never connects or never recovers): exit 1.", valueName: "s"))
    var timeout: Double?

    func validate() throws {
        if maxSpeed, speed != nil { throw ValidationError("--speed and --max-speed exclude each other") }
        if let speed, !(speed > 0) { throw ValidationError("--speed must be a positive number") }
        if let maxGap, maxGap < 0 { throw ValidationError("--max-gap must be a positive number of milliseconds") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let scenario = try scenario.load()
        let recorded: RecordedSession
        do {
            recorded = try RecordedSession(reader: try RecordingReader(path: file), sessionID: session)
        } catch {
            throw fail("\(error)", status: ExitStatus.badInput)
        }
        for output in [junit, report].compactMap({ $0 }) where !overwrite && FileManager.default.fileExists(atPath: output) {
            throw fail("\(output) exists: pass --overwrite to replace it", status: ExitStatus.badInput)
        }
        // The report is made from a recording of the live run: --record's, else a temporary one.
        let liveRecording = record ?? report.map { _ in
            FileManager.default.temporaryDirectory.appendingPathComponent("gatewaytape-replay-\(UUID().uuidString).sqlite").path
        }
        defer {
            if record == nil, let liveRecording { try? FileManager.default.removeItem(atPath: liveRecording) }
        }
        var recorder: Recorder?
        if let liveRecording {
            do { recorder = try Recorder(path: liveRecording, mode: .replay, source: file, overwrite: overwrite) } catch {
                throw fail("\(error)", status: ExitStatus.badInput)
            }
        }
        let options = ReplayOptions(
            host: server.host, port: server.port, pacing: maxSpeed ? .maxSpeed : .speed(speed ?? 1),
            maxGap: maxGap.map { .milliseconds($0) }, timeout: timeout.map { .milliseconds(Int64($0 * 1000)) },
            keepsLiveTraffic: verify, scenario: scenario)
        let runner = ReplayRunner(recording: recorded, options: options, recordingSink: recorder, logger: makeLogger())
        let progress = ProgressLine(enabled: isatty(STDERR_FILENO) == 1)
        let started = ContinuousClock.now
        let host = server.host
        let outcome: ReplayOutcome
        do {
            outcome = try await runner.run(
                onListening: { port in FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8)) },
                onProgress: { progress.show($0) })
        } catch {
            try? await recorder?.finish()
            throw fail("cannot replay on \(server.host):\(server.port): \(error)", status: ExitStatus.runtimeFailure)
        }
        progress.finish()
        if let recorder {
            do throws(RecordingError) { try await recorder.finish() } catch {
                throw fail("recording \(recorder.path) could not be completed: \(error)", status: ExitStatus.runtimeFailure)
            }
        }
        let verdict = verify ? ReplayVerdict(recorded: recorded, outcome: outcome) : nil
        if let junit {
            do {
                try JUnitReport(recording: file, outcome: outcome, verdict: verdict, duration: ContinuousClock.now - started).write(to: junit)
            } catch {
                throw fail("cannot write \(junit): \(error.localizedDescription)", status: ExitStatus.runtimeFailure)
            }
        }
        if let report, let liveRecording {
            do throws(RecordingError) {
                try SessionReport.write(recording: liveRecording, sessionID: nil, to: report, overwrite: overwrite)
            } catch where error.code == .sessionNotFound {
                FileHandle.standardError.write(Data("gatewaytape: no report written: no bot identified during the replay\n".utf8))
            } catch {
                throw fail("cannot write the report \(report): \(error)", status: ExitStatus.runtimeFailure)
            }
        }
        if let reason = outcome.timeoutReason {
            throw fail("replay of \(file) stopped: \(reason) (\(outcome.performed)/\(outcome.total) events sent)", status: ExitStatus.differs)
        }
        if let verdict {
            FileHandle.standardOutput.write(Data(verdict.render(color: isatty(STDOUT_FILENO) == 1).utf8))
            if !verdict.passed { throw ExitCode(ExitStatus.differs) }
        }
    }
}

/// A one-line progress display on stderr, redrawn in place; silent when stderr is not a terminal.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: ReplayProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        guard Date().timeIntervalSince(lastDraw) > 0.1 || progress.performed == progress.total else { return }
        lastDraw = Date()
        let state = switch (progress.waitingForReconnect, progress.awaitedShard) {
        case (false, _): ""
        case (true, let shard?): "  waiting for shard \(shard) to identify"
        case (true, nil): "  waiting for the bot to reconnect"
        }
        let line = "\r\u{1B}[2Kreplay: \(progress.performed)/\(progress.total) events  t=" + String(format: "%.1f", progress.position) + "s" + state
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
