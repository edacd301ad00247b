import Foundation
import GatewayModel

/// Reads a row's columns from a decoded export line, by column name.
struct JSONObjectRowSource: RowSource {
    private let object: [String: JSONValue]
    private let table: RecordingTable
    private var index = 0
    private var current = ""

    init(_ object: [String: JSONValue], table: RecordingTable) {
        self.object = object
        self.table = table
    }

    private mutating func next() -> JSONValue? {
        current = table.columns[index].name
        index += 1
        guard let value = object[current], value != .null else { return nil }
        return value
    }

    mutating func integer() throws(RowError) -> Int64? {
        guard let value = next() else { return nil }
        guard case .int(let integer) = value else { throw RowError("\"\(current)\" has the wrong type") }
        return integer
    }

    mutating func text() throws(RowError) -> String? {
        guard let value = next() else { return nil }
        guard case .string(let text) = value else { throw RowError("\"\(current)\" has the wrong type") }
        return text
    }

    /// The text of `name`, or the bytes of `name_base64` (how `export` writes a payload that is not UTF-8).
    mutating func bytes() throws(RowError) -> [UInt8]? {
        if let text = try text() { return Array(text.utf8) }
        let key = current + "_base64"
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let base64) = value, let data = Data(base64Encoded: base64) else {
            throw RowError("\(key) is not base64")
        }
        return Array(data)
    }

    func requireValue() throws(RowError) {
        throw RowError("a \(table.lineKind) line needs \"\(current)\"")
    }
}

/// Writes a row's columns into a `JSONLine`, one key per column in table order, a payload last.
struct JSONLineRowSink: RowSink {
    /// How column values are written.
    enum Style {
        /// `export`: lossless; JSON columns as strings holding the exact text, a payload that is not
        /// UTF-8 as `<name>_base64`.
        case export
        /// `inspect --format jsonl`: JSON columns and payloads embedded as JSON when they parse.
        case inspect
    }

    private(set) var line: JSONLine
    private let table: RecordingTable
    private let style: Style
    private var index = 0
    private var payload: (name: String, bytes: [UInt8]?)?

    init(_ line: JSONLine, table: RecordingTable, style: Style) {
        self.line = line
        self.table = table
        self.style = style
    }

    private mutating func next() -> RecordingTable.Column {
        defer { index += 1 }
        return table.columns[index]
    }

    mutating func integer(_ value: Int64?) {
        line.add(next().name, value)
    }

    mutating func text(_ value: String?) {
        let column = next()
        if column.kind == .json, style == .inspect {
            line.add(column.name, json: value.map { Array($0.utf8) })
        } else {
            line.add(column.name, value)
        }
    }

    mutating func bytes(_ value: [UInt8]?) {
        let column = next()
        guard column.kind == .payload else { return line.add(column.name, text: value) }
        payload = (column.name, value)
    }

    /// The line with the payload (if any) added last.
    func finish() -> [UInt8] {
        var line = line
        if let (name, bytes) = payload {
            switch style {
            case .inspect:
                line.add(name, json: bytes)
            case .export:
                if let bytes, !JSONLine.isValidUTF8(bytes) {
                    line.add(name + "_base64", Data(bytes).base64EncodedString())
                } else {
                    line.add(name, text: bytes)
                }
            }
        }
        return line.finish()
    }
}

extension JSONLine {
    /// A row's line: `kind` first, then `extra` keys, then every column.
    static func row(_ row: some RecordingRow, style: JSONLineRowSink.Style, extra: (inout JSONLine) -> Void = { _ in })
        -> [UInt8]
    {
        var line = JSONLine()
        line.add("kind", type(of: row).table.lineKind)
        extra(&line)
        var sink = JSONLineRowSink(line, table: type(of: row).table, style: style)
        row.write(to: &sink)
        return sink.finish()
    }
}

extension JSONLine {
    /// The `inspect --format jsonl` line of a frame: `kind`, the `extra` keys, then every column of
    /// `frames` (the payload last, embedded as JSON).
    public static func inspection(of frame: StoredFrame, extra: (inout JSONLine) -> Void) -> [UInt8] {
        row(frame, style: .inspect, extra: extra)
    }

    /// The `inspect --format jsonl` line of a control action (its `args` embedded as JSON).
    public static func inspection(of control: StoredControl, extra: (inout JSONLine) -> Void) -> [UInt8] {
        row(control, style: .inspect, extra: extra)
    }

    /// The `inspect --format jsonl` line of a REST call (`request`, `response` and `response_headers`
    /// embedded as JSON).
    public static func inspection(of call: StoredHTTPCall, extra: (inout JSONLine) -> Void) -> [UInt8] {
        row(call, style: .inspect, extra: extra)
    }
}
