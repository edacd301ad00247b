import ArgumentParser
import GatewayRecording
import GatewayReport

/// `gatewaytape report FILE [--session ID] [--output OUT.html] [--overwrite]`: a session as one HTML page.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one recorded session as a self-contained HTML page with a timeline.",
        discussion: """
            The page opens offline in any current browser: its style, script and data are inline and \
            it makes no network request. Its header names the bot user, the duration, every \
            connection with its shard, close code and who closed it, the protocol hints of `diff`, \
            the heartbeat cadence, and counts per event, opcode, REST route and control action. Its \
            timeline has one lane per connection (grouped by shard), a REST lane and a lane of \
            control actions and faults; marks are coloured by direction and kind. The wheel zooms, \
            dragging pans, the filter box narrows by event, opcode, route or text, heartbeats can be \
            hidden, and selecting a mark (click, or the arrow keys on the timeline) shows its JSON \
            with its time offset and sequence number.

            The output is written under a temporary name and renamed when complete; an existing \
            output is refused unless --overwrite.

            Examples:
              gatewaytape report run.sqlite                      # writes run.html
              gatewaytape report run.sqlite --session 2 --output session2.html --overwrite
            """
    )

    @Argument(help: ArgumentHelp("The recording to read (a SQLite file).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The session to show (default: the only or first one).", valueName: "id"))
    var session: String?

    @Option(name: [.short, .long], help: ArgumentHelp("The page to write (default: FILE with .html).", valueName: "out.html"))
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    func run() throws {
        let destination = output ?? Self.defaultOutput(for: file)
        do throws(RecordingError) {
            try SessionReport.write(recording: file, sessionID: session, to: destination, overwrite: overwrite)
        } catch {
            throw fail(error.description, status: error.isInputProblem ? ExitStatus.badInput : ExitStatus.runtimeFailure)
        }
    }

    /// `run.sqlite` → `run.html`; a name without an extension gets `.html` appended.
    static func defaultOutput(for file: String) -> String {
        let name = file.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return file + ".html" }
        return String(file[..<dot]) + ".html"
    }
}
