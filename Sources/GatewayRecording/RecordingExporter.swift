import Foundation
import GatewayModel

/// Writes one session of a recording as JSON lines (`gatewaytape export`), losslessly.
///
/// The first line is a header, then one line per row, grouped by table: the `sessions` row,
/// `connections`, `frames` (wire order), `controls`, `http`. Every line is an object whose keys
/// come in a fixed order: `kind` first, then the table's columns in SPEC §7 order (`payload` last on
/// frames), as described by ``RecordingSchema``. NULL is `null`. A frame's `payload` is its exact wire text as a JSON string (decoding the
/// string gives the stored bytes back); a payload that is not valid UTF-8 (which a text frame cannot
/// hold) is written as `payload_base64` instead.
///
/// ```text
/// {"kind":"meta","format":"gatewaytape-export/1","version":1,"session":"s1","meta":{"created_at":"…","format":"gatewaytape-recording/1",…}}
/// {"kind":"session","id":"s1","name":"bot","token_sha256":"…","created_ns":1200}
/// {"kind":"connection","id":1,"session_id":"s1",…,"query":"v=10&encoding=json"}
/// {"kind":"frame","id":1,"connection_id":1,"session_id":null,"t_ns":1500,"direction":"out","op":10,"seq":null,"event":null,"wire_bytes":61,"cause_http_id":null,"payload":"{\"op\":10,…}"}
/// {"kind":"control","id":1,"session_id":"s1","t_ns":9000,"action":"disconnect","args":"{\"code\":4000}"}
/// {"kind":"http","id":1,"session_id":"s1","t_ns":800,"method":"GET","path":"/api/v10/gateway/bot","status":200,"request":"…","response":"…","route":"GET /gateway/bot","response_headers":"{…}"}
/// ```
///
/// Controls and REST calls that belong to no session (`session_id` NULL) are exported with every
/// session. ``RecordingImporter`` turns the lines back into a recording with identical rows.
public struct RecordingExporter: Sendable {
    /// The `format` of the header line.
    public static let formatName = "gatewaytape-export/1"
    /// The newest export format version this build reads and writes.
    public static let formatVersion = 1

    /// The recording read from.
    public let reader: RecordingReader

    /// Creates an exporter over an open recording.
    public init(reader: RecordingReader) {
        self.reader = reader
    }

    /// Produces the lines of one session in order, each ending with `\n`.
    /// - Parameters:
    ///   - sessionID: the session to export.
    ///   - line: receives each line; may throw to stop.
    /// - Throws: ``RecordingError`` (`.sessionNotFound`, reading errors, or what `line` throws).
    public func export(sessionID: String, line: ([UInt8]) throws(RecordingError) -> Void) throws(RecordingError) {
        _ = try reader.session(sessionID)

        var header = JSONLine()
        header.add("kind", "meta")
        header.add("format", Self.formatName)
        header.add("version", reader.formatVersion)
        header.add("session", sessionID)
        var meta = JSONLine()
        for entry in try reader.metadata().entries {
            meta.add(entry.key, entry.value)
        }
        var metaBytes = meta.finish()
        metaBytes.removeLast()  // the newline
        header.add("meta", rawJSON: metaBytes)
        try line(header.finish())

        for session in try reader.storedSessions() where session.id == sessionID {
            try line(JSONLine.row(session, style: .export))
        }
        for connection in try reader.connections(sessionID: sessionID) {
            try line(JSONLine.row(connection, style: .export))
        }
        // Frames in pages, so a big session is never all in memory.
        var lastID: Int64? = nil
        while true {
            let page = try reader.frames(sessionID: sessionID, afterID: lastID, limit: 2048)
            guard let last = page.last else { break }
            for frame in page {
                try line(JSONLine.row(frame, style: .export))
            }
            lastID = last.id
        }
        for control in try reader.controls(sessionID: sessionID) {
            try line(JSONLine.row(control, style: .export))
        }
        for call in try reader.httpCalls(sessionID: sessionID) {
            try line(JSONLine.row(call, style: .export))
        }
    }

    /// The whole export of one session as text (for tests and small sessions).
    public func exportedText(sessionID: String) throws(RecordingError) -> String {
        var bytes: [UInt8] = []
        try export(sessionID: sessionID) { (line) throws(RecordingError) in bytes += line }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Exports one session into a file, atomically: the lines go to a temporary file in the same
    /// directory, which is renamed to `path` only when complete. An existing `path` is refused
    /// (before anything is written) unless `overwrite`.
    public func export(sessionID: String, toFile path: String, overwrite: Bool) throws(RecordingError) {
        try FileSystem.checkOutput(path, overwrite: overwrite)
        _ = try reader.session(sessionID)
        let output = try OutputFile(temporaryBesides: path)
        do throws(RecordingError) {
            try export(sessionID: sessionID) { (line) throws(RecordingError) in try output.write(line) }
            try output.commit(as: path, overwrite: overwrite)
        } catch {
            output.discard()
            throw error
        }
    }

    /// Exports one session to standard output.
    public func exportToStandardOutput(sessionID: String) throws(RecordingError) {
        let output = try OutputFile.standardOutput()
        try export(sessionID: sessionID) { (line) throws(RecordingError) in try output.write(line) }
        try output.flush()
    }
}
