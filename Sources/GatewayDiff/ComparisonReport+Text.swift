import GatewayModel

extension ComparisonReport {
    /// Most differences the text report lists (the JSON report lists all).
    static let textListLimit = 200

    func renderText(color: Bool) -> String {
        let style = TextStyle(color: color)
        var lines: [String] = []
        let stepSummary =
            "\(count(.changed)) changed, \(count(.added)) added, \(count(.removed)) removed step(s); heartbeat cadence "
            + (cadenceMismatch == nil ? "equal" : "differs")
        if isEqual {
            lines.append(style.green("EQUAL") + ": \(equalSteps) step(s) match; heartbeat cadence equal")
        } else {
            lines.append(style.red("DIFFERENT") + ": " + stepSummary)
        }
        lines.append("  A: \(a.label) (\(a.steps) steps, \(a.timing.heartbeat.count) heartbeats)")
        lines.append("  B: \(b.label) (\(b.steps) steps, \(b.timing.heartbeat.count) heartbeats)")
        if !ignored.isEmpty { lines.append("  ignoring " + ignored.joined(separator: ", ")) }
        if !a.faults.isEmpty || !b.faults.isEmpty {
            lines.append("")
            lines.append(style.bold("Faults") + " (control actions; a scenario's name their rule):")
            for (name, side) in [("A", a), ("B", b)] {
                for fault in side.faults.prefix(Self.textListLimit) {
                    let args = fault.args.flatMap { $0 == "{}" ? nil : " " + Self.short($0, limit: 120) } ?? ""
                    lines.append("  \(name) \(Format.offset(fault.offsetNs)) \(fault.action)\(args)")
                }
            }
        }

        if let first = firstDivergence {
            lines.append("")
            lines.append(style.bold("First divergence: ") + Self.describe(first))
            if first.kind == .cadence {
                lines.append("  " + (first.message ?? ""))
            } else {
                lines += Self.sideBySide(first, style: style)
                if !first.fields.isEmpty {
                    lines.append("  differing fields:")
                    for field in first.fields { lines.append("    " + Self.describe(field)) }
                }
            }
        }

        if !isEqual {
            lines.append("")
            lines.append(style.bold("Differences (\(differences.count)):"))
            for difference in differences.prefix(Self.textListLimit) {
                lines.append("  " + Self.listLine(difference, style: style))
            }
            if differences.count > Self.textListLimit {
                lines.append("  … \(differences.count - Self.textListLimit) more (--format json lists all)")
            }
        }

        lines.append("")
        lines += timingTable()
        if !hints.isEmpty {
            lines.append("")
            lines.append(style.bold("Hints:"))
            for hint in hints {
                var place = hint.side.uppercased()
                if let offset = hint.offsetNs { place += " " + Format.offset(offset) }
                if let connection = hint.connectionID { place += " connection \(connection)" }
                lines.append("  " + style.yellow(place) + ": " + hint.message)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The first divergence in one line (`POST /channels/{channel.id}/messages changed (rest), step 5 in A
    /// at +0.742 s, ...`), nil when the sides are equal.
    public var firstDivergenceSummary: String? { firstDivergence.map { $0.message ?? Self.describe($0) } }

    // MARK: Pieces

    /// `IDENTIFY changed (shard 0), step 2 in A at +0.072 s, step 2 in B at +0.074 s`.
    private static func describe(_ difference: StepDifference) -> String {
        guard difference.kind != .cadence else { return "heartbeat cadence differs" }
        var text = "\(difference.label) \(difference.kind.rawValue)"
        if let lane = difference.lane { text += " (\(lane))" }
        if let a = difference.a { text += ", step \(a.index + 1) in A at \(Format.offset(a.offsetNs))" }
        if let b = difference.b { text += ", step \(b.index + 1) in B at \(Format.offset(b.offsetNs))" }
        return text
    }

    private static func describe(_ field: FieldDifference) -> String {
        let pointer = field.pointer.isEmpty ? "(whole value)" : field.pointer
        return "\(pointer): \(field.a.map { short($0.jsonString) } ?? "(absent)") → \(field.b.map { short($0.jsonString) } ?? "(absent)")"
    }

    private static func short(_ text: String, limit: Int = 80) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    private static func listLine(_ difference: StepDifference, style: TextStyle) -> String {
        let mark: String
        switch difference.kind {
        case .added: mark = style.green("+")
        case .removed: mark = style.red("-")
        case .changed: mark = style.yellow("~")
        case .cadence: return style.yellow("!") + " heartbeat cadence: " + (difference.message ?? "")
        }
        let lane = (difference.lane?.description ?? "").padding(7)
        let where_a = difference.a.map { "A#\($0.index + 1) \(Format.offset($0.offsetNs))" } ?? ""
        let where_b = difference.b.map { "B#\($0.index + 1) \(Format.offset($0.offsetNs))" } ?? ""
        var line = "\(mark) \(lane)  \(where_a.padding(16))  \(where_b.padding(16))  \(difference.label)"
        if difference.kind == .changed {
            line += "  " + difference.fields.prefix(3).map(\.pointer).joined(separator: ", ")
            if difference.fields.count > 3 { line += ", …" }
        }
        return line
    }

    /// Both steps' normalised values as indented JSON, A left and B right, lines aligned (a line
    /// diff of the two texts), differing fields marked `>`.
    private static func sideBySide(_ difference: StepDifference, style: TextStyle) -> [String] {
        let marked = difference.fields.map(\.pointer)
        let left = difference.a.map { PrettyJSON.lines($0.value, marked: marked) } ?? [("(no step)", false)]
        let right = difference.b.map { PrettyJSON.lines($0.value, marked: marked) } ?? [("(no step)", false)]
        var ids: [String: Int32] = [:]
        func id(_ line: (text: String, marked: Bool)) -> Int32 {
            let key = (line.marked ? "1" : "0") + line.text
            if let known = ids[key] { return known }
            ids[key] = Int32(ids.count)
            return Int32(ids.count - 1)
        }
        let leftIDs = left.map(id)
        let rightIDs = right.map(id)
        var rows: [((String, Bool)?, (String, Bool)?)] = []
        var i = 0, j = 0
        for (mi, mj) in SequenceDiff.matches(leftIDs[...], rightIDs[...]) + [(left.count, right.count)] {
            while i < mi || j < mj {
                rows.append((i < mi ? left[i] : nil, j < mj ? right[j] : nil))
                if i < mi { i += 1 }
                if j < mj { j += 1 }
            }
            if mi < left.count, mj < right.count { rows.append((left[mi], right[mj])) }
            i = mi + 1
            j = mj + 1
        }
        let width = min(max(left.map { $0.text.count + 2 }.max() ?? 0, 8), 60)
        var lines = ["  " + "A".padding(width) + " │ B"]
        for (l, r) in rows {
            let leftText = l.map { (($0.1 ? "> " : "  ") + $0.0).truncated(width) } ?? ""
            let rightText = r.map { ($0.1 ? "> " : "  ") + $0.0 } ?? ""
            let leftCell = l?.1 == true ? style.red(leftText.padding(width)) : leftText.padding(width)
            lines.append("  " + leftCell + " │ " + (r?.1 == true ? style.green(rightText) : rightText))
        }
        return lines
    }

    private func timingTable() -> [String] {
        func ms(_ value: Double?) -> String { value.map(Format.ms) ?? "-" }
        func calls(_ offsets: [Double]) -> String {
            guard let first = offsets.first, let last = offsets.last else { return "-" }
            return "\(offsets.count) (+\(Format.ms(first)) … +\(Format.ms(last)))"
        }
        func delays(_ values: [Double]) -> String {
            values.isEmpty ? "-" : "\(values.count) (mean \(Format.ms(values.reduce(0, +) / Double(values.count))))"
        }
        let rows: [(String, String, String)] = [
            ("HELLO → IDENTIFY", ms(a.timing.helloToIdentifyMs), ms(b.timing.helloToIdentifyMs)),
            ("heartbeat interval", ms(a.timing.heartbeat.meanMs), ms(b.timing.heartbeat.meanMs)),
            ("heartbeat jitter", ms(a.timing.heartbeat.jitterMs), ms(b.timing.heartbeat.jitterMs)),
            ("HELLO interval", ms(a.timing.heartbeat.helloIntervalMs), ms(b.timing.heartbeat.helloIntervalMs)),
            ("heartbeats", String(a.timing.heartbeat.count), String(b.timing.heartbeat.count)),
            ("reconnects", delays(a.timing.reconnectDelaysMs), delays(b.timing.reconnectDelaysMs)),
            ("resumes", delays(a.timing.resumeDelaysMs), delays(b.timing.resumeDelaysMs)),
            (
                "commands per minute", a.timing.commandsPerMinute.map { JSONLineFormat.fixed($0) } ?? "-",
                b.timing.commandsPerMinute.map { JSONLineFormat.fixed($0) } ?? "-"
            ),
            ("max commands in 60 s", String(a.timing.maxCommandsIn60s), String(b.timing.maxCommandsIn60s)),
            ("REST calls", calls(a.timing.restCallOffsetsMs), calls(b.timing.restCallOffsetsMs)),
        ]
        let first = max(rows.map(\.0.count).max() ?? 0, 6) + 2
        let second = max(rows.map(\.1.count).max() ?? 0, 1) + 2
        var lines = ["Timing".padding(first + 2) + "A".padding(second) + "B"]
        for (name, left, right) in rows { lines.append("  " + name.padding(first) + left.padding(second) + right) }
        return lines
    }
}

/// One-decimal numbers for the timing table.
private enum JSONLineFormat {
    static func fixed(_ value: Double) -> String { Format.ms(value).replacingSuffix(" ms") }
}

/// ANSI styling that is a no-op without colour.
private struct TextStyle {
    var color: Bool
    func wrap(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m" + text + "\u{1B}[0m" : text }
    func red(_ text: String) -> String { wrap(text, "31") }
    func green(_ text: String) -> String { wrap(text, "32") }
    func yellow(_ text: String) -> String { wrap(text, "33") }
    func bold(_ text: String) -> String { wrap(text, "1") }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func truncated(_ width: Int) -> String {
        count <= width ? self : String(prefix(width - 1)) + "…"
    }

    fileprivate func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
