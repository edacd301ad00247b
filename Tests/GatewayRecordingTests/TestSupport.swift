import CSQLite
import Foundation
import GatewayModel
import Testing

@testable import GatewayRecording

/// A fresh directory under the system temp directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "gatewaytape-recording-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Runs the `sqlite3` command-line shell (another program writing or reading the format).
/// - Returns: its standard output.
@discardableResult
func sqlite3(_ path: String, _ sql: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-batch", path]
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data(sql.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
        throw SQLite3Failure(message: String(decoding: errorData, as: UTF8.self))
    }
    return String(decoding: data, as: UTF8.self)
}

struct SQLite3Failure: Error, CustomStringConvertible {
    var message: String
    var description: String { "sqlite3 failed: \(message)" }
}

/// Every row of SPEC §7's tables, each value as `typeof:hex`, so two files can be compared byte for byte.
/// A table the file lacks dumps as empty.
func dumpRows(_ path: String, frameSession: String? = nil) throws -> [String: String] {
    var result: [String: String] = [:]
    for table in RecordingSchema.tables.map(\.name) {
        // A column the file lacks (an addition, in an older file) dumps as NULL, as readers read it.
        let present = Set(try sqlite3(path, "SELECT name FROM pragma_table_info('\(table)');").split(separator: "\n").map(String.init))
        guard !present.isEmpty else {
            result[table] = ""
            continue
        }
        let values = columnNames(table).map { present.contains($0) ? "typeof(\($0)) || ':' || hex(\($0))" : "'null:'" }
            .joined(separator: " || '|' || ")
        let order = table == "meta" ? "key" : "id"
        result[table] = try sqlite3(path, "SELECT \(values) FROM \(table) ORDER BY \(order);")
    }
    return result
}

/// The columns of a recording table, in SPEC §7 order.
func columnNames(_ table: String) -> [String] {
    RecordingSchema.tables.first { $0.name == table }!.columns.map(\.name)
}

/// Bytes of a string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Payloads that are hard to keep exact: odd key order, escapes, non-ASCII, big integers, raw
/// control characters, NUL, an empty payload.
let nastyPayloads: [[UInt8]] = [
    bytes(#"{"t":null,"s":null,"op":10,"d":{"heartbeat_interval":41250}}"#),
    bytes(#"{"op":0,"s":2,"t":"MESSAGE_CREATE","d":{"content":"q\"uote \\back\\slash \n newline \t tab \u0000 nul \u001f \/ slash \ud83d\ude00","id":12345678901234567890}}"#),
    bytes(#"{"d":{"content":"emoji 😀🎉 CJK 漢字かな 한국어 ä ß \u00e9 e\u0301","n":-0.0,"big":123456789012345678901234567890,"f":1.0e+300},"op":0,"s":3,"t":"MESSAGE_UPDATE"}"#),
    bytes("{\"raw\":\"line\nbreak\r\ttab\u{0}nul\u{1}\u{7f}del\u{2028}sep\",\"op\":1,\"d\":null}"),
    bytes("  {\"op\" : 1 ,\n  \"d\" : 251 }\n"),
    [],
    bytes(#"{"op":2,"d":{"token":"redacted:0123456789ab","properties":{"os":"linux"},"intents":513}}"#),
]

/// A small recording session with everything in it.
func recordSampleSession(_ recorder: Recorder, start: UInt64, sessionID: String = "s1") {
    let t = { (ms: UInt64) in start + ms * 1_000_000 }
    recorder.record(.session(SessionRecord(id: sessionID, name: "bot \"one\"", tokenSHA256: "ab12", t: t(1))))
    recorder.record(.http(HTTPRecord(
        id: 41, sessionID: sessionID, method: "GET", path: "/api/v10/gateway/bot", status: 200,
        request: #"{"headers":{"authorization":"redacted:0123456789ab"}}"#, response: #"{"url":"ws://127.0.0.1:8765"}"#,
        t: t(2), route: "GET /gateway/bot", responseHeaders: #"{"content-type":"application/json"}"#)))
    recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 7, query: "v=10&encoding=json", t: t(3))))
    for (index, payload) in nastyPayloads.enumerated() {
        let op = index == 0 ? 10 : (index < 3 ? 0 : 1)
        recorder.record(.frame(FrameRecord(
            connectionID: 7, sessionID: index < 2 ? nil : sessionID, t: t(4 + UInt64(index)),
            direction: index % 2 == 0 ? .outbound : .inbound, op: op, seq: op == 0 ? Int64(index) : nil,
            event: op == 0 ? "MESSAGE_CREATE" : nil, payload: payload, wireBytes: payload.count / 2,
            causeHTTPID: index == 2 ? 41 : nil)))
        if index == 1 {
            recorder.record(.connectionIdentified(ConnectionIdentifiedRecord(
                connectionID: 7, sessionID: sessionID, gatewaySessionID: "gw-1", shardID: 0, shardCount: 2)))
        }
    }
    recorder.record(.control(ControlRecord(sessionID: sessionID, action: "disconnect", args: #"{"code":4000}"#, t: t(20))))
    recorder.record(.connectionClosed(ConnectionClosedRecord(connectionID: 7, code: 4000, reason: "bye", closedBy: .server, t: t(21))))
    recorder.record(.control(ControlRecord(sessionID: nil, action: "heartbeat_interval", args: #"{"interval":1000}"#, t: t(22))))
    recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 8, query: "", t: t(30))))
    recorder.record(.connectionIdentified(ConnectionIdentifiedRecord(
        connectionID: 8, sessionID: sessionID, gatewaySessionID: "gw-1", shardID: nil, shardCount: nil)))
    recorder.record(.connectionClosed(ConnectionClosedRecord(connectionID: 8, code: nil, reason: nil, closedBy: .drop, t: t(40))))
}

/// A frame event with a payload of about `size` bytes.
func frameEvent(_ index: Int, size: Int = 1000, connectionID: Int64 = 1, sessionID: String? = "s1") -> RecordEvent {
    var payload = bytes(#"{"op":0,"s":\#(index),"t":"MESSAGE_CREATE","d":{"content":""#)
    payload += [UInt8](repeating: UInt8(ascii: "x"), count: max(0, size - payload.count - 4))
    payload += bytes(#""}}"#)
    return .frame(FrameRecord(
        connectionID: connectionID, sessionID: sessionID, t: MonotonicClock.now(), direction: .outbound, op: 0,
        seq: Int64(index), event: "MESSAGE_CREATE", payload: payload, wireBytes: payload.count))
}

/// A stalled disk, made deterministic: a second connection holds the file's write lock, so the
/// recorder's writer waits in its busy handler until ``end()``.
struct DiskStall {
    private let connection: SQLiteConnection

    init(_ path: String) throws {
        connection = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE)
        try connection.execute("BEGIN IMMEDIATE")
    }

    func end() throws {
        try connection.execute("COMMIT")
        connection.close()
    }
}

/// Polls `condition` every 5 ms until it holds; records an issue after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Waits (up to 3 s, well inside the writer's 5 s busy timeout) until a caller of
/// `waitUntilWritable()` has been suspended.
func waitUntilThrottled(_ recorder: Recorder) async throws {
    for _ in 0..<150 where recorder.statistics.throttled == 0 {
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// SPEC §7's tables as another program would write them with the sqlite3 shell.
enum SpecSchema {
    /// The tables every recording has.
    static let required = """
        CREATE TABLE sessions(id TEXT PRIMARY KEY, name TEXT, token_sha256 TEXT, created_ns INTEGER);
        CREATE TABLE connections(id INTEGER PRIMARY KEY, session_id TEXT, gateway_session_id TEXT,
          shard_id INTEGER, shard_count INTEGER, opened_ns INTEGER, closed_ns INTEGER, close_code INTEGER,
          close_reason TEXT, closed_by TEXT, query TEXT);
        CREATE TABLE frames(id INTEGER PRIMARY KEY, connection_id INTEGER, session_id TEXT, t_ns INTEGER,
          direction TEXT, op INTEGER, seq INTEGER, event TEXT, payload TEXT, wire_bytes INTEGER);
        """
    /// The tables a minimal recording may leave out.
    static let optional = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE controls(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER, action TEXT, args TEXT);
        CREATE TABLE http(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER, method TEXT, path TEXT,
          status INTEGER, request TEXT, response TEXT);
        """
}
