import ArgumentParser
import GatewayRecording

/// `gatewaytape export FILE --session ID [--output OUT] [--overwrite]`: a session as JSON lines.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one session of a recording as JSON lines (lossless; `import` reads them back).",
        discussion: """
            Prints one JSON object per line, keys in a fixed order: a header line ("kind":"meta", \
            with the recording's meta table), then the session, its connections, its frames in wire \
            order, its control actions and its REST calls, each line with a "kind" and the row's \
            columns (NULL as null). A frame's "payload" is its exact wire text as a JSON string: \
            decoding the string gives back the recorded bytes, key order, escapes and big integers \
            included. `gatewaytape import` turns the lines back into a recording with identical rows, \
            so exports can be reviewed, diffed and kept in version control.

            Writes to standard output unless --output is given; an output file is written completely \
            under a temporary name and only then renamed into place. An existing output is refused \
            unless --overwrite.

            Examples:
              gatewaytape export run.sqlite --session 1 > golden.jsonl
              gatewaytape export run.sqlite --session 1 --output golden.jsonl --overwrite
            """
    )

    @Argument(help: ArgumentHelp("The recording to read (a SQLite file).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The session to export (see `gatewaytape inspect FILE`).", valueName: "id"))
    var session: String

    @Option(name: [.short, .long], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "out"))
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    func run() throws {
        do throws(RecordingError) {
            let reader = try RecordingReader(path: file)
            let exporter = RecordingExporter(reader: reader)
            if let output {
                try exporter.export(sessionID: session, toFile: output, overwrite: overwrite)
            } else {
                try exporter.exportToStandardOutput(sessionID: session)
            }
        } catch {
            throw fail(error.description, status: error.isInputProblem ? ExitStatus.badInput : ExitStatus.runtimeFailure)
        }
    }
}
