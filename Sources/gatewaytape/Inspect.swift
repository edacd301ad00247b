import ArgumentParser
import Foundation
import GatewayModel
import GatewayRecording

/// `gatewaytape inspect FILE [--session ID] [--format table|jsonl]`: what a recording holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the sessions of a recording, or show one session's timeline.",
        discussion: """
            Without --session, prints one row per session: id, name, connections, duration, frames \
            and the close codes of its connections.

            With --session, prints the session's timeline: the offset in milliseconds from the \
            session's first event, the connection, the direction (in = bot to gatewaytape, out = \
            gatewaytape to bot), opcode, sequence number, event name and payload size of every \
            frame, with connection opens and closes, control actions (faults) and REST calls \
            interleaved by time.

            --format jsonl prints one JSON object per line instead (a session, or a timeline entry: \
            frames, control actions and REST calls with every column of their table, JSON text such \
            as the payload embedded as parsed JSON), for review tools and scripts.

            Works on files written by `gatewaytape serve|replay|proxy --record`, by `gatewaytape \
            import`, or by any program that follows the recording format (SQLite, see SPEC §7), \
            including a recording that is still being written.

            Examples:
              gatewaytape inspect run.sqlite
              gatewaytape inspect run.sqlite --session 1
              gatewaytape inspect run.sqlite --session 1 --format jsonl | jq .payload
            """
    )

    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, jsonl
    }

    @Argument(help: ArgumentHelp("The recording to read (a SQLite file).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Show this session's timeline instead of the list of sessions.", valueName: "id"))
    var session: String?

    @Option(help: "Output format: table (for people) or jsonl (one JSON object per line, for tools).")
    var format: Format = .table

    func run() throws {
        do {
            let reader = try RecordingReader(path: file)
            var output = StandardOutput()
            if let session {
                let timeline = try SessionTimeline(reader: reader, sessionID: session)
                switch format {
                case .table: try printTimeline(timeline, to: &output)
                case .jsonl: try printTimelineJSONL(timeline, to: &output)
                }
            } else {
                let sessions = try reader.sessions()
                switch format {
                case .table: try printSessions(sessions, reader: reader, to: &output)
                case .jsonl: try printSessionsJSONL(sessions, to: &output)
                }
            }
            try output.flush()
        } catch let error as RecordingError {
            throw fail(error.description, status: error.isInputProblem ? ExitStatus.badInput : ExitStatus.runtimeFailure)
        } catch let error as StandardOutput.Failure {
            throw fail("cannot write to standard output: \(error.message)", status: ExitStatus.runtimeFailure)
        }
    }

    // MARK: Session list

    private func printSessions(_ sessions: [SessionSummary], reader: RecordingReader, to output: inout StandardOutput) throws {
        let meta = try reader.metadata()
        var about = ["format \(reader.formatVersion)"]
        if let mode = meta.mode { about.append("mode \(mode)") }
        if let source = meta.source, !source.isEmpty { about.append("source \(source)") }
        if let created = meta.createdAt { about.append("created \(created)") }
        if let tool = meta.toolVersion { about.append("gatewaytape \(tool)") }
        let count = sessions.count == 1 ? "1 session" : "\(sessions.count) sessions"
        try output.writeLine("\(file): \(count) (\(about.joined(separator: ", ")))")
        if !sessions.isEmpty {
            var rows = [["SESSION", "NAME", "CONNECTIONS", "DURATION", "FRAMES", "CLOSE CODES"]]
            for summary in sessions {
                rows.append([
                    summary.id,
                    summary.session?.name ?? "-",
                    String(summary.connectionCount),
                    Self.duration(summary.durationNs),
                    String(summary.frameCount),
                    summary.closeCodes.isEmpty ? "-" : summary.closeCodes.map(String.init).joined(separator: ", "),
                ])
            }
            for line in Self.table(rows, rightAligned: [2, 3, 4]) { try output.writeLine(line) }
        }
        // Connections that never identified belong to no session, but are often the interesting part.
        let unidentified = try reader.unidentifiedConnections()
        if !unidentified.isEmpty {
            var frames = 0
            for connection in unidentified { frames += try reader.frames(connectionID: connection.id).count }
            let ids = unidentified.map { String($0.id) }.joined(separator: ", ")
            let closes = unidentified.map { $0.closeCode.map(String.init) ?? ($0.closedNs == nil ? "open" : "drop") }
            let noun = unidentified.count == 1 ? "connection" : "connections"
            try output.writeLine(
                "\(unidentified.count) \(noun) never identified (id \(ids); \(frames) frames; closes "
                    + "\(closes.joined(separator: ", ")))")
        }
    }

    private func printSessionsJSONL(_ sessions: [SessionSummary], to output: inout StandardOutput) throws {
        for summary in sessions {
            var line = JSONLine()
            line.add("kind", "session")
            line.add("id", summary.id)
            line.add("name", summary.session?.name)
            line.add("connections", summary.connectionCount)
            line.add("frames", summary.frameCount)
            line.add("first_ns", summary.firstNs)
            line.add("last_ns", summary.lastNs)
            line.add("duration_ms", Double(summary.durationNs) / 1_000_000, decimals: 3)
            line.add("close_codes", rawJSON: Array("[\(summary.closeCodes.map(String.init).joined(separator: ","))]".utf8))
            try output.write(line.finish())
        }
    }

    // MARK: Timeline

    private func printTimeline(_ timeline: SessionTimeline, to output: inout StandardOutput) throws {
        let summary = timeline.summary
        var about = [
            summary.connectionCount == 1 ? "1 connection" : "\(summary.connectionCount) connections",
            summary.frameCount == 1 ? "1 frame" : "\(summary.frameCount) frames",
            Self.duration(summary.durationNs),
        ]
        if !summary.closeCodes.isEmpty {
            about.append("close codes " + summary.closeCodes.map(String.init).joined(separator: ", "))
        }
        let name = summary.session?.name.map { " \"\($0)\"" } ?? ""
        try output.writeLine("session \(summary.id)\(name): \(about.joined(separator: ", "))")
        try output.writeLine("in = bot → gatewaytape, out = gatewaytape → bot; offsets in ms from the session's first event")
        var rows = [["OFFSET", "CONN", "DIR", "OP", "SEQ", "EVENT", "SIZE", "DETAIL"]]
        for entry in timeline.entries {
            let offset = JSONLine.fixed(timeline.offsetMilliseconds(entry.tNs), decimals: 3)
            switch entry.kind {
            case .frame(let frame):
                var size = String(frame.payload.count)
                if let wire = frame.wireBytes, wire != frame.payload.count { size += " (wire \(wire))" }
                rows.append([
                    offset, frame.connectionID.map { String($0) } ?? "-", frame.direction.rawValue,
                    frame.op.map(String.init) ?? "-", frame.seq.map { String($0) } ?? "-", Self.eventName(frame), size, "",
                ])
            case .connectionOpened(let connection):
                var detail = "connection opened"
                if let query = connection.query, !query.isEmpty { detail += " ?\(query)" }
                rows.append([offset, String(connection.id), "open", "", "", "", "", detail])
            case .connectionClosed(let connection):
                var detail = connection.closeCode.map { "closed \($0)" } ?? "closed without close frame"
                if let by = connection.closedBy { detail += by == "drop" ? " (TCP drop)" : " by \(by)" }
                if let reason = connection.closeReason, !reason.isEmpty { detail += " \"\(Self.oneLine(reason))\"" }
                rows.append([offset, String(connection.id), "close", "", "", "", "", detail])
            case .control(let control):
                var detail = control.action
                if let args = control.args, !args.isEmpty, args != "{}" { detail += " " + Self.oneLine(args) }
                rows.append([offset, "-", "ctl", "", "", "", "", detail])
            case .http(let call):
                let status = call.status.map(String.init) ?? "-"
                rows.append([offset, "-", "http", "", "", "", "", "\(call.method) \(call.path) → \(status)"])
            }
        }
        for line in Self.table(rows, rightAligned: [0, 1, 3, 4, 6]) { try output.writeLine(line) }
    }

    /// One line per timeline entry. Frames, control actions and REST calls carry every column of
    /// their table (JSON text embedded as JSON); every line starts with `kind` and `offset_ms`.
    private func printTimelineJSONL(_ timeline: SessionTimeline, to output: inout StandardOutput) throws {
        for entry in timeline.entries {
            let offset = timeline.offsetMilliseconds(entry.tNs)
            func common(_ line: inout JSONLine) { line.add("offset_ms", offset, decimals: 3) }
            switch entry.kind {
            case .frame(let frame):
                try output.write(JSONLine.inspection(of: frame) { line in
                    common(&line)
                    line.add("name", Self.eventName(frame))
                    line.add("size", frame.payload.count)
                })
            case .control(let control):
                try output.write(JSONLine.inspection(of: control, extra: common))
            case .http(let call):
                try output.write(JSONLine.inspection(of: call, extra: common))
            case .connectionOpened(let connection):
                var line = JSONLine()
                line.add("kind", "open")
                common(&line)
                line.add("t_ns", entry.tNs)
                line.add("connection_id", connection.id)
                line.add("gateway_session_id", connection.gatewaySessionID)
                line.add("shard_id", connection.shardID)
                line.add("shard_count", connection.shardCount)
                line.add("query", connection.query)
                try output.write(line.finish())
            case .connectionClosed(let connection):
                var line = JSONLine()
                line.add("kind", "close")
                common(&line)
                line.add("t_ns", entry.tNs)
                line.add("connection_id", connection.id)
                line.add("code", connection.closeCode)
                line.add("reason", connection.closeReason)
                line.add("closed_by", connection.closedBy)
                try output.write(line.finish())
            }
        }
    }

    // MARK: Formatting

    /// The dispatch name for op 0, the opcode's name otherwise.
    private static func eventName(_ frame: StoredFrame) -> String {
        if let event = frame.event, !event.isEmpty { return event }
        guard let op = frame.op else { return "-" }
        return GatewayOpcode(rawValue: op).name
    }

    /// `850 ms`, `12.345 s`, `3 min 05.2 s`.
    static func duration(_ nanoseconds: Int64) -> String {
        let milliseconds = Double(nanoseconds) / 1_000_000
        if milliseconds < 1000 { return JSONLine.fixed(milliseconds, decimals: 1) + " ms" }
        let seconds = milliseconds / 1000
        if seconds < 120 { return JSONLine.fixed(seconds, decimals: 3) + " s" }
        let minutes = Int(seconds / 60)
        let rest = seconds - Double(minutes * 60)
        return "\(minutes) min " + (rest < 10 ? "0" : "") + JSONLine.fixed(rest, decimals: 1) + " s"
    }

    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    /// Pads columns to their widest cell; the last column is not padded.
    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                if rightAligned.contains(index) {
                    line += padding + cell
                } else if index < columns - 1 {
                    line += cell + padding
                } else {
                    line += cell
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}

/// Buffered writes to standard output (64 KiB at a time).
struct StandardOutput {
    struct Failure: Error {
        var message: String
    }

    private var buffer: [UInt8] = []

    mutating func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 16 { try flush() }
    }

    mutating func writeLine(_ text: String) throws {
        try write(Array(text.utf8) + [0x0A])
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try FileHandle.standardOutput.write(contentsOf: buffer)
        } catch {
            throw Failure(message: "\(error)")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
