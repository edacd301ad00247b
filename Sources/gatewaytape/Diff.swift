import ArgumentParser
import Foundation
import GatewayDiff
import GatewayRecording

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `gatewaytape diff A B [--session ID] [--session-b ID] [--format text|json] [--ignore POINTER ...]`.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare what a bot did on the gateway in two recorded sessions.",
        discussion: """
            Compares the bot's own frames (client → gatewaytape), the closes it initiated and its REST calls in one session of A with one session of B, after normalisation: tokens, nonces, timestamps and heartbeat sequence numbers are ignored; gateway session ids and snowflakes are replaced by aliases numbered by first appearance in each recording (the same id gets the same alias, so "replied in the channel it was mentioned in" still compares); IDENTIFY properties are compared by key. Steps are aligned per shard in protocol order (Myers diff), so run length and timing are not differences; heartbeats are compared by cadence (mean interval and jitter within 10 % of HELLO's interval), not by count.

            The report shows the first divergence (both steps side by side, differing fields marked), every added (only in B), removed (only in A) and changed step, a timing summary per side, and hints for known protocol mistakes (RESUME after op 9 d:false, reconnecting after 4004/4010-4014, IDENTIFY within 1 s of op 9, heartbeat cadence off by more than 10 %, more than 120 commands in 60 s). Colour only when stdout is a terminal.

            --ignore takes RFC 6901 JSON pointers into each step's normalised value: the whole frame for gateway steps (/d/presence, /d/properties), {method, path, body} for REST calls (/body/content). A "*" segment matches any key or index (/d/activities/*/created_at).

            Exit status: 0 equal, 1 different, 2 bad input (unreadable file, unknown session, bad pointer).

            Examples:
              gatewaytape diff old.sqlite new.sqlite
              gatewaytape diff run.sqlite run.sqlite --session 1 --session-b 2
              gatewaytape diff old.sqlite new.sqlite --ignore /d/presence --format json | jq .first_divergence
            """
    )

    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: ArgumentHelp("The reference recording (the old version).", valueName: "a"))
    var fileA: String

    @Argument(help: ArgumentHelp("The recording compared with it (the new version).", valueName: "b"))
    var fileB: String

    @Option(help: ArgumentHelp("Session of A (default: its only or first session).", valueName: "id"))
    var session: String?

    @Option(
        name: .customLong("session-b"),
        help: ArgumentHelp("Session of B (default: its only or first session; --session when A and B are the same file).", valueName: "id"))
    var sessionB: String?

    @Option(help: "Output format: text (for people; coloured on a terminal) or json (schema in the README).")
    var format: Format = .text

    @Option(help: ArgumentHelp("Leave out this field (JSON pointer, e.g. /d/presence); repeatable.", valueName: "json-pointer"))
    var ignore: [String] = []

    func run() throws {
        var options = ComparisonOptions()
        do {
            options.ignore = try ignore.map { pointer throws(JSONPointer.SyntaxError) in try JSONPointer(pointer) }
        } catch {
            throw fail(error.description, status: ExitStatus.badInput)
        }
        let a = try load(fileA, session: session)
        let b = try load(fileB, session: sessionB ?? (fileB == fileA ? session : nil))
        let report = BehaviourComparison.compare(a, b, options: options)
        let text: String
        switch format {
        case .text: text = report.render(format: .text(color: isatty(STDOUT_FILENO) == 1))
        case .json: text = report.render(format: .json)
        }
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            throw fail("cannot write to standard output: \(error)", status: ExitStatus.runtimeFailure)
        }
        if !report.isEqual { throw ExitCode(ExitStatus.differs) }
    }

    private func load(_ path: String, session: String?) throws -> BotBehaviour {
        do {
            let reader = try RecordingReader(path: path)
            defer { reader.close() }
            return try BotBehaviour(reader: reader, sessionID: session)
        } catch {
            throw fail(error.description, status: error.isInputProblem ? ExitStatus.badInput : ExitStatus.runtimeFailure)
        }
    }
}
