import Foundation
import GatewayModel
import Testing

@testable import GatewayRecording

@Suite("Export and import")
struct ExportImportTests {
    /// A finished recording with the sample session (nasty payloads) and a second session.
    private func makeRecording(_ path: String) async throws {
        let start = MonotonicClock.now()
        let recorder = try Recorder(path: path, mode: .serve, startTime: start)
        recordSampleSession(recorder, start: start)
        // Another session whose rows must not leak into s1's export.
        recorder.record(.session(SessionRecord(id: "s2", name: nil, tokenSHA256: "cd34", t: start + 50_000_000)))
        recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 9, query: "v=10", t: start + 51_000_000)))
        recorder.record(.connectionIdentified(ConnectionIdentifiedRecord(
            connectionID: 9, sessionID: "s2", gatewaySessionID: "gw-2", shardID: 1, shardCount: 2)))
        recorder.record(frameEvent(1, connectionID: 9, sessionID: "s2"))
        recorder.record(.control(ControlRecord(sessionID: "s2", action: "drop", args: "{}", t: start + 60_000_000)))
        // Frames of s1 after s2's, to check id gaps survive.
        recorder.record(.frame(FrameRecord(
            connectionID: 7, sessionID: "s1", t: start + 70_000_000, direction: .inbound, op: 1,
            seq: 9_223_372_036_854_775_807, event: nil, payload: bytes(#"{"op":1,"d":12345678901234567890}"#),
            wireBytes: 0)))
        // An invalid UTF-8 payload (only a binary frame could carry it) survives as payload_base64.
        recorder.record(.frame(FrameRecord(
            connectionID: 7, sessionID: "s1", t: start &- 5, direction: .inbound, op: nil, seq: nil, event: nil,
            payload: [0x7B, 0xFF, 0x00, 0x7D], wireBytes: 4)))
        try await recorder.finish()
    }

    /// The rows of `table` that belong to session s1 (and unassigned rows), dumped byte for byte.
    private func rowsOfS1(_ path: String) throws -> [String: String] {
        var rows = try dumpRows(path)
        let filters = [
            "sessions": "id = 's1'",
            "connections": "session_id = 's1'",
            "frames": "session_id = 's1' OR (session_id IS NULL AND connection_id IN (7, 8))",
            "controls": "session_id = 's1' OR session_id IS NULL",
            "http": "session_id = 's1' OR session_id IS NULL",
        ]
        for (table, filter) in filters {
            let columns = columnNames(table)
            let values = columns.map { "typeof(\($0)) || ':' || hex(\($0))" }.joined(separator: " || '|' || ")
            rows[table] = try sqlite3(path, "SELECT \(values) FROM \(table) WHERE \(filter) ORDER BY id;")
        }
        return rows
    }

    @Test("import(export(x)) reproduces every row byte for byte")
    func roundTrip() async throws {
        try await withTemporaryDirectory { dir in
            let original = dir + "/original.sqlite"
            try await makeRecording(original)
            let reader = try RecordingReader(path: original)
            let exported = dir + "/s1.jsonl"
            try RecordingExporter(reader: reader).export(sessionID: "s1", toFile: exported, overwrite: false)

            let copy = dir + "/copy.sqlite"
            let summary = try RecordingImporter.importFile(from: exported, to: copy, overwrite: false)
            #expect(summary.sessions == 1)
            #expect(summary.connections == 2)
            #expect(summary.frames == nastyPayloads.count + 2)
            #expect(summary.controls == 2)
            #expect(summary.httpCalls == 1)
            #expect(summary.meta == 5)

            let before = try rowsOfS1(original)
            let after = try dumpRows(copy)
            for table in RecordingSchema.tables.map(\.name) {
                #expect(before[table] == after[table], "table \(table) differs")
            }
            #expect(try sqlite3(copy, "PRAGMA user_version;") == "1\n")
            #expect(try sqlite3(copy, "PRAGMA integrity_check;") == "ok\n")
            #expect(!FileManager.default.fileExists(atPath: copy + "-wal"))

            // Export of the copy is identical to the first export, line for line.
            let again = try RecordingExporter(reader: RecordingReader(path: copy)).exportedText(sessionID: "s1")
            #expect(again == (try String(contentsOfFile: exported, encoding: .utf8)))

            // The reader sees the same values.
            let frames = try RecordingReader(path: copy).frames(sessionID: "s1")
            #expect(Array(frames.prefix(nastyPayloads.count).map(\.payload)) == nastyPayloads)
            #expect(frames.last?.payload == [0x7B, 0xFF, 0x00, 0x7D])
            #expect(frames.last?.tNs == -5)
            #expect(frames[frames.count - 2].seq == Int64.max)
        }
    }

    @Test("export lines: stable key order, payload as an exact JSON string")
    func lineFormat() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/original.sqlite"
            try await makeRecording(path)
            let text = try RecordingExporter(reader: RecordingReader(path: path)).exportedText(sessionID: "s1")
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix(#"{"kind":"meta","format":"gatewaytape-export/1","version":1,"session":"s1","meta":{"created_at":"#) == true)
            #expect(lines.map { $0.prefix(while: { $0 != "," }) } == [
                #"{"kind":"meta""#, #"{"kind":"session""#, #"{"kind":"connection""#, #"{"kind":"connection""#,
            ] + Array(repeating: #"{"kind":"frame""#, count: nastyPayloads.count + 2) + [
                #"{"kind":"control""#, #"{"kind":"control""#, #"{"kind":"http""#,
            ])
            #expect(lines[1] == #"{"kind":"session","id":"s1","name":"bot \"one\"","token_sha256":"ab12","created_ns":1000000}"#)
            #expect(lines[2] == #"{"kind":"connection","id":7,"session_id":"s1","gateway_session_id":"gw-1","shard_id":0,"shard_count":2,"opened_ns":3000000,"closed_ns":21000000,"close_code":4000,"close_reason":"bye","closed_by":"server","query":"v=10&encoding=json"}"#)
            #expect(lines[4] == #"{"kind":"frame","id":1,"connection_id":7,"session_id":null,"t_ns":4000000,"direction":"out","op":10,"seq":null,"event":null,"wire_bytes":30,"cause_http_id":null,"payload":"{\"t\":null,\"s\":null,\"op\":10,\"d\":{\"heartbeat_interval\":41250}}"}"#)
            #expect(lines[6].contains(#""wire_bytes":"#) && lines[6].contains(#","cause_http_id":41,"payload":"#))
            #expect(lines.last == #"{"kind":"http","id":41,"session_id":"s1","t_ns":2000000,"method":"GET","path":"/api/v10/gateway/bot","status":200,"request":"{\"headers\":{\"authorization\":\"redacted:0123456789ab\"}}","response":"{\"url\":\"ws://127.0.0.1:8765\"}","route":"GET /gateway/bot","response_headers":"{\"content-type\":\"application/json\"}"}"#)
            // Each payload decodes from its JSON string to the exact bytes.
            for (index, payload) in nastyPayloads.enumerated() {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[4 + index].utf8)) as? [String: Any])
                let decoded = try #require(object["payload"] as? String)
                #expect(Array(decoded.utf8) == payload)
            }
            #expect(lines[4 + nastyPayloads.count + 1].contains(#""payload_base64":"e/8AfQ==""#))
            // Big integers stay exact in the integer fields.
            #expect(lines[4 + nastyPayloads.count].contains(#""seq":9223372036854775807"#))
            // Every line is one line.
            #expect(!lines.contains { $0.contains("\r") })
        }
    }

    @Test("outputs: existing files are refused before anything is written, no temp files left")
    func noPartialOutputs() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/original.sqlite"
            try await makeRecording(path)
            let exporter = try RecordingExporter(reader: RecordingReader(path: path))
            let out = dir + "/out.jsonl"
            try Data("old".utf8).write(to: URL(fileURLWithPath: out))
            #expect {
                try exporter.export(sessionID: "s1", toFile: out, overwrite: false)
            } throws: { ($0 as? RecordingError)?.code == .fileExists }
            #expect(try String(contentsOfFile: out, encoding: .utf8) == "old")
            try exporter.export(sessionID: "s1", toFile: out, overwrite: true)
            #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix(#"{"kind":"meta""#))

            // Unknown session: error, no output.
            #expect {
                try exporter.export(sessionID: "nope", toFile: dir + "/nope.jsonl", overwrite: false)
            } throws: { ($0 as? RecordingError)?.code == .sessionNotFound }
            #expect(!FileManager.default.fileExists(atPath: dir + "/nope.jsonl"))

            // Import over an existing output.
            let target = dir + "/target.sqlite"
            try Data("precious".utf8).write(to: URL(fileURLWithPath: target))
            #expect {
                try RecordingImporter.importFile(from: out, to: target, overwrite: false)
            } throws: { ($0 as? RecordingError)?.code == .fileExists }
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious")
            try RecordingImporter.importFile(from: out, to: target, overwrite: true)
            #expect(try RecordingReader(path: target).sessions().map(\.id) == ["s1"])

            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
            #expect(leftovers.isEmpty)
        }
    }

    @Test("malformed exports are refused with the line number, and nothing is written", arguments: [
        ("", "the file is empty"),
        ("not json\n", "line 1: not valid JSON"),
        (#"{"kind":"frame","id":1,"t_ns":0,"direction":"in","payload":"{}"}"# + "\n", "line 1: the first line must be the header"),
        (#"{"kind":"meta","format":"gatewaytape-export/1","version":1}"# + "\n" + #"{"kind":"frame","id":1,"t_ns":"soon","direction":"in","payload":"{}"}"#, "line 2: \"t_ns\" has the wrong type"),
        (#"{"kind":"meta","format":"gatewaytape-export/1"}"# + "\n" + #"{"kind":"frame","id":1,"t_ns":0,"direction":"sideways","payload":"{}"}"#, "line 2: direction must be"),
        (#"{"kind":"meta","format":"gatewaytape-export/1"}"# + "\n" + #"{"kind":"frame","id":1,"t_ns":0,"direction":"in"}"#, "line 2: a frame line needs \"payload\""),
        (#"{"kind":"meta","format":"gatewaytape-export/1"}"# + "\n" + #"{"kind":"gizmo","id":1}"#, "line 2: unknown kind"),
        (#"{"kind":"meta","format":"gatewaytape-export/1"}"# + "\n\n" + #"{"kind":"control","id":1,"t_ns":0,"action":"drop"}"# + "\n" + #"{"kind":"control","id":1,"t_ns":5,"action":"drop"}"#, "line 4: a row with this id"),
        (#"{"kind":"meta","format":"gatewaytape-export/1"}"# + "\n" + #"{"kind":"meta","format":"gatewaytape-export/1"}"#, "line 2: a second header"),
        (#"{"kind":"meta","format":"csv"}"#, "line 1: format \"csv\""),
    ])
    func malformed(input: String, message: String) async throws {
        try await withTemporaryDirectory { dir in
            let jsonl = dir + "/bad.jsonl"
            try Data(input.utf8).write(to: URL(fileURLWithPath: jsonl))
            let out = dir + "/out.sqlite"
            #expect {
                try RecordingImporter.importFile(from: jsonl, to: out, overwrite: false)
            } throws: { error in
                guard let error = error as? RecordingError else { return false }
                return error.code == .badExport && error.description.contains(message) && !error.description.contains("\n")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["bad.jsonl"])
        }
    }

    @Test("newer export or recording versions are refused")
    func newerVersions() async throws {
        try await withTemporaryDirectory { dir in
            for header in [#"{"kind":"meta","format":"gatewaytape-export/2"}"#, #"{"kind":"meta","format":"gatewaytape-export/1","version":7}"#] {
                let jsonl = dir + "/future.jsonl"
                try Data(header.utf8).write(to: URL(fileURLWithPath: jsonl))
                #expect {
                    try RecordingImporter.importFile(from: jsonl, to: dir + "/out.sqlite", overwrite: true)
                } throws: { ($0 as? RecordingError)?.code == .newerVersion && "\($0)".contains("upgrade gatewaytape") }
                #expect(!FileManager.default.fileExists(atPath: dir + "/out.sqlite"))
            }
            #expect {
                try RecordingImporter.importFile(from: dir + "/missing.jsonl", to: dir + "/out.sqlite", overwrite: false)
            } throws: { ($0 as? RecordingError)?.code == .fileNotFound }
        }
    }

    @Test("a hand-written export (CRLF line ends, keys in any order) imports")
    func handWritten() async throws {
        try await withTemporaryDirectory { dir in
            let jsonl = dir + "/hand.jsonl"
            let text = [
                #"{"format":"gatewaytape-export/1","kind":"meta"}"#,
                #"{"kind":"session","id":"h"}"#,
                #"{"payload":"{\"op\":1}","direction":"in","t_ns":5,"id":3,"kind":"frame","session_id":"h"}"#,
            ].joined(separator: "\r\n") + "\r\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: jsonl))
            try RecordingImporter.importFile(from: jsonl, to: dir + "/hand.sqlite", overwrite: false)
            let frames = try RecordingReader(path: dir + "/hand.sqlite").frames(sessionID: "h")
            #expect(frames == [StoredFrame(
                id: 3, connectionID: nil, sessionID: "h", tNs: 5, direction: .inbound, op: nil, seq: nil, event: nil,
                payload: bytes(#"{"op":1}"#), wireBytes: nil)])
        }
    }
}
