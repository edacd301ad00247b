import GatewayDiff
import GatewayModel
import GatewayRecording

extension SessionReport {
    /// The report as one self-contained HTML page (UTF-8): the header as HTML, the timeline drawn by
    /// inline JavaScript on a canvas from inline data, no network request (a Content-Security-Policy
    /// of `default-src 'none'` forbids any).
    ///
    /// The data is two script elements: `gt-data`, JSON with the lanes, the
    /// mark kinds, a table of names and the marks as one flat array of integers, seven per mark
    /// (µs since the previous mark, lane, kind, name index, op + 1, seq + 1, JSON length; 0 is "none");
    /// and `gt-payloads`, every mark's JSON one after the other, which the page slices by those
    /// lengths (in UTF-16 code units) only when a mark is selected or the text filter runs. The
    /// page's script comes between them, so it draws the timeline before the browser has parsed
    /// the payloads (the bulk of the file). In both,
    /// `<` is written `\u003c` (JSON has it only inside strings, so the text means the same and
    /// never closes the script element) and a raw carriage return becomes a space.
    public func html() -> [UInt8] {
        var page: [UInt8] = []
        page.reserveCapacity(marks.reduce(0) { $0 + $1.json.utf8.count } + marks.count * 24 + 64 * 1024)
        page += Array(
            """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <title>gatewaytape report: session \(HTML.escape(summary.id)) of \(HTML.escape(recordingPath))</title>
            <style>\(ReportPage.style)</style>
            </head>
            <body>

            """.utf8)
        page += Array(headerHTML().utf8)
        page += Array(ReportPage.timelineHTML(legend: ReportMark.Kind.allCases).utf8)
        page += Array("<script type=\"application/json\" id=\"gt-data\">".utf8)
        var payloads: [UInt8] = []
        page += dataJSON(payloads: &payloads)
        // The script runs (and draws the timeline) before the browser has parsed the payloads.
        page += Array("</script>\n<script>\(ReportPage.script)</script>\n<script type=\"text/plain\" id=\"gt-payloads\">".utf8)
        page += payloads
        page += Array("</script>\n</body>\n</html>\n".utf8)
        return page
    }

    // MARK: Header

    private func headerHTML() -> String {
        let cadence = analysis.timing.heartbeat
        var cadenceText = "no heartbeats"
        if cadence.count > 0 {
            cadenceText = "\(cadence.count) heartbeats"
            if let mean = cadence.meanMs, let jitter = cadence.jitterMs {
                cadenceText += ", every \(Self.ms(mean)) on average (jitter \(Self.ms(jitter)))"
            }
        }
        if let hello = cadence.helloIntervalMs { cadenceText += "; HELLO asked for \(Self.ms(hello))" }
        let name = summary.session?.name.map { " (\(HTML.escape($0)))" } ?? ""
        var facts: [(String, String)] = [
            ("Bot user", HTML.escape(botUser ?? "unknown (no READY)")),
            ("Duration", Self.seconds(summary.durationNs)),
            ("Frames", "\(frameCount)"),
            ("Connections", "\(lanes.filter { $0.kind == .connection }.count)"),
            ("REST calls", "\(routeCounts.reduce(0) { $0 + $1.count })"),
            ("Control actions", "\(controlCounts.reduce(0) { $0 + $1.count })"),
            ("Heartbeat cadence", HTML.escape(cadenceText)),
        ]
        if let helloToIdentify = analysis.timing.helloToIdentifyMs {
            facts.append(("HELLO → IDENTIFY", Self.ms(helloToIdentify)))
        }
        if !analysis.timing.resumeDelaysMs.isEmpty {
            facts.append(("Close → RESUME", analysis.timing.resumeDelaysMs.map(Self.ms).joined(separator: ", ")))
        }
        var html = "<header>\n<h1>gatewaytape report</h1>\n"
        let source = [metadata.mode.map { "mode \($0)" }, metadata.createdAt.map { "recorded \($0)" }].compactMap { $0 }
        html += "<p class=\"sub\">\(HTML.escape(recordingPath)) · session \(HTML.escape(summary.id))\(name)"
        html += source.isEmpty ? "" : " · " + HTML.escape(source.joined(separator: " · "))
        html += "</p>\n<dl class=\"facts\">\n"
        for (term, value) in facts { html += "<div><dt>\(term)</dt><dd>\(value)</dd></div>\n" }
        html += "</dl>\n"

        html += "<section aria-labelledby=\"gt-h-connections\">\n<h2 id=\"gt-h-connections\">Connections</h2>\n"
        html += "<table id=\"gt-connections\"><thead><tr><th scope=\"col\">connection</th><th scope=\"col\">shard</th>"
        html += "<th scope=\"col\">gateway session</th><th scope=\"col\">opened</th><th scope=\"col\">closed</th>"
        html += "<th scope=\"col\">close code</th><th scope=\"col\">closed by</th><th scope=\"col\">reason</th></tr></thead><tbody>\n"
        for lane in lanes {
            guard let connection = lane.connection else { continue }
            let code = connection.closeCode.map { String(GatewayCloseCode(rawValue: UInt16(clamping: $0)).description) } ?? "—"
            html += "<tr data-connection=\"\(connection.id)\"><td>\(connection.id)</td><td>\(lane.shard.map(String.init) ?? "—")"
            html += connection.shardCount.map { " of \($0)" } ?? ""
            html += "</td><td><code>\(HTML.escape(connection.gatewaySessionID ?? "—"))</code></td>"
            html += "<td>\(connection.openedNs.map { Self.offset($0 - originNs) } ?? "—")</td>"
            html += "<td>\(connection.closedNs.map { Self.offset($0 - originNs) } ?? "open")</td>"
            html += "<td class=\"close-code\">\(HTML.escape(code))</td><td>\(HTML.escape(connection.closedBy ?? "—"))</td>"
            html += "<td>\(HTML.escape(connection.closeReason ?? ""))</td></tr>\n"
        }
        html += "</tbody></table>\n</section>\n"

        html += "<section aria-labelledby=\"gt-h-hints\">\n<h2 id=\"gt-h-hints\">Protocol hints</h2>\n"
        if analysis.hints.isEmpty {
            html += "<p id=\"gt-hints\">None: no known protocol mistake (the checks of <code>gatewaytape diff</code>).</p>\n"
        } else {
            html += "<ul id=\"gt-hints\">\n"
            for hint in analysis.hints {
                let at = hint.offsetNs.map { Self.offset($0) + " " } ?? ""
                let connection = hint.connectionID.map { " (connection \($0))" } ?? ""
                html += "<li class=\"hint\"><strong>\(HTML.escape(hint.kind.rawValue))</strong> \(at)\(HTML.escape(hint.message))\(connection)</li>\n"
            }
            html += "</ul>\n"
        }
        html += "</section>\n"

        html += "<details id=\"gt-counts\"><summary>Counts per event, opcode, REST route and control action</summary>\n<div class=\"counts\">\n"
        for (title, rows, detail) in [
            ("Dispatches (server → bot)", eventCounts, false), ("Other frames", opcodeCounts, false),
            ("REST routes", routeCounts, true), ("Control actions", controlCounts, false),
        ] {
            html += "<table><caption>\(title)</caption><tbody>\n"
            if rows.isEmpty { html += "<tr><td>none</td></tr>\n" }
            for row in rows {
                html += "<tr><th scope=\"row\">\(HTML.escape(row.name))</th><td>\(row.count)</td>"
                html += detail ? "<td>\(HTML.escape(row.detail))</td></tr>\n" : "</tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "</div>\n</details>\n</header>\n"
        return html
    }

    private static func ms(_ value: Double) -> String { JSONLine.fixed(value, decimals: 1) + " ms" }

    private static func seconds(_ nanoseconds: Int64) -> String { JSONLine.fixed(Double(nanoseconds) / 1e9, decimals: 3) + " s" }

    private static func offset(_ nanoseconds: Int64) -> String {
        (nanoseconds < 0 ? "−" : "+") + seconds(abs(nanoseconds))
    }

    // MARK: Data

    /// The `gt-data` JSON; appends every mark's JSON to `payloads`.
    private func dataJSON(payloads: inout [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(marks.count * 24 + 4096)
        func append(_ text: String) { out += Array(text.utf8) }
        func string(_ text: String) { JSONValue.string(text).write(into: &out) }
        func micros(_ tNs: Int64) -> Int64 { (tNs - originNs) / 1_000 }

        let end = max(summary.lastNs.map(micros) ?? 0, marks.last.map { micros($0.tNs) } ?? 0)
        append("{\"format\":\"gatewaytape-report/1\",\"end\":\(end),\"kinds\":[")
        for kind in ReportMark.Kind.allCases {
            if kind.rawValue > 0 { append(",") }
            append("{\"label\":")
            string(kind.label)
            append(",\"color\":\"\(kind.color)\",\"row\":\(kind.row),\"heartbeat\":\(kind.isHeartbeat)}")
        }
        append("],\"lanes\":[")
        for (index, lane) in lanes.enumerated() {
            if index > 0 { append(",") }
            append("{\"kind\":\"\(lane.kind.rawValue)\",\"label\":")
            string(lane.label)
            append(",\"group\":")
            string(lane.group)
            append(",\"connection\":\(lane.connection.map { String($0.id) } ?? "null"),\"shard\":\(lane.shard.map(String.init) ?? "null")")
            append(",\"opened\":\(lane.connection?.openedNs.map { String(micros($0)) } ?? "null")")
            append(",\"closed\":\(lane.connection?.closedNs.map { String(micros($0)) } ?? "null"),\"close\":")
            if let close = lane.closeSummary { string(close) } else { append("null") }
            append("}")
        }
        append("],\"names\":[")
        var nameIndex: [String: Int] = [:]
        for mark in marks where nameIndex[mark.name] == nil {
            if !nameIndex.isEmpty { append(",") }
            nameIndex[mark.name] = nameIndex.count
            string(mark.name)
        }
        append("],\"marks\":[")
        var previous: Int64 = 0
        for (index, mark) in marks.enumerated() {
            let time = micros(mark.tNs)
            let length = Self.appendPayload(mark.json, to: &payloads)
            if index > 0 { append(",") }
            append(
                "\(time - previous),\(mark.lane),\(mark.kind.rawValue),\(nameIndex[mark.name]!),\(mark.op.map { $0 + 1 } ?? 0),"
                    + "\(mark.seq.map { $0 + 1 } ?? 0),\(length)")
            previous = time
        }
        append("]}")
        return Self.scriptSafe(out)
    }

    /// Appends `json` made script-safe; returns its length in UTF-16 code units (what JavaScript
    /// string offsets count).
    private static func appendPayload(_ json: String, to payloads: inout [UInt8]) -> Int {
        var units = 0
        for byte in json.utf8 {
            switch byte {
            case UInt8(ascii: "<"):
                payloads += Array("\\u003c".utf8)
                units += 6
            case 0x0D:
                payloads.append(UInt8(ascii: " "))
                units += 1
            default:
                payloads.append(byte)
                if byte < 0x80 || (byte >= 0xC0 && byte < 0xF0) { units += 1 } else if byte >= 0xF0 { units += 2 }
            }
        }
        return units
    }

    private static func scriptSafe(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        for byte in json {
            if byte == UInt8(ascii: "<") { out += Array("\\u003c".utf8) } else { out.append(byte) }
        }
        return out
    }
}

/// Escaping for HTML text and attribute values.
enum HTML {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
