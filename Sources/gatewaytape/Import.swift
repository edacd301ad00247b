import ArgumentParser
import GatewayRecording

/// `gatewaytape import JSONL OUT [--overwrite]`: a recording from `export`'s JSON lines.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Rebuild a recording from the JSON lines written by `gatewaytape export`.",
        discussion: """
            Creates the SQLite recording OUT with exactly the rows of the export: the same ids, \
            timestamps, NULLs, and payload text byte for byte, so that `import` of an `export` \
            replays and diffs like the original session. OUT is written completely under a \
            temporary name and only then renamed into place; an existing OUT is refused unless \
            --overwrite. Malformed input is reported with its line number and nothing is written.

            Examples:
              gatewaytape import golden.jsonl golden.sqlite
              gatewaytape export run.sqlite --session 1 | gatewaytape import - copy.sqlite
            """
    )

    @Argument(help: ArgumentHelp("The JSON-lines file to read (`-` for standard input).", valueName: "jsonl"))
    var input: String

    @Argument(help: ArgumentHelp("The recording to create.", valueName: "out"))
    var output: String

    @Flag(help: "Replace OUT if it exists.")
    var overwrite = false

    func run() throws {
        do throws(RecordingError) {
            let summary = try RecordingImporter.importFile(from: input, to: output, overwrite: overwrite)
            let sessions = summary.sessions == 1 ? "1 session" : "\(summary.sessions) sessions"
            print(
                "\(output): \(sessions), \(summary.connections) connections, \(summary.frames) frames, "
                    + "\(summary.controls) controls, \(summary.httpCalls) REST calls")
        } catch {
            throw fail(error.description, status: error.isInputProblem ? ExitStatus.badInput : ExitStatus.runtimeFailure)
        }
    }
}
