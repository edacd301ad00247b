import Foundation
import GatewayModel
import Testing

@testable import GatewayRecording

#if canImport(Glibc)
import Glibc
#endif

@Suite("RecordingReader")
struct RecordingReaderTests {
    private func expectError(_ path: String, _ code: RecordingError.Code, mentioning words: [String] = []) {
        #expect {
            _ = try RecordingReader(path: path)
        } throws: { error in
            guard let error = error as? RecordingError, error.code == code else { return false }
            let text = error.description
            return !text.contains("\n") && text.contains(path) && words.allSatisfy { text.contains($0) }
        }
    }

    /// A finished recording with `frames` frames of ~1 KB.
    private func makeRecording(_ path: String, frames: Int) async throws {
        let recorder = try Recorder(path: path, mode: .serve)
        for index in 0..<frames { recorder.record(frameEvent(index)) }
        try await recorder.finish()
    }

    @Test("a missing file")
    func missing() async throws {
        try await withTemporaryDirectory { dir in
            expectError(dir + "/nope.sqlite", .fileNotFound, mentioning: ["no such file"])
        }
    }

    @Test("a file that is not SQLite, an empty file, a directory")
    func notSQLite() async throws {
        try await withTemporaryDirectory { dir in
            let text = dir + "/notes.txt"
            try Data(String(repeating: "this is not a database\n", count: 20).utf8).write(to: URL(fileURLWithPath: text))
            expectError(text, .notSQLite, mentioning: ["not a SQLite file"])
            let short = dir + "/short.sqlite"
            try Data("SQLite format 3".utf8).write(to: URL(fileURLWithPath: short))
            expectError(short, .notSQLite)
            let empty = dir + "/empty.sqlite"
            try Data().write(to: URL(fileURLWithPath: empty))
            expectError(empty, .notARecording, mentioning: ["empty"])
            expectError(dir, .notSQLite, mentioning: ["directory"])
        }
    }

    @Test("a damaged recording: pages overwritten in the middle")
    func damaged() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/damaged.sqlite"
            try await makeRecording(path, frames: 2000)
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            let size = try handle.seekToEnd()
            #expect(size > 1_000_000)
            try handle.seek(toOffset: size / 2 / 4096 * 4096)
            var generator = SystemRandomNumberGenerator()
            try handle.write(contentsOf: Data((0..<(8 * 4096)).map { _ in UInt8.random(in: 0...255, using: &generator) }))
            try handle.close()
            expectError(path, .damaged, mentioning: ["damaged", "restore a copy"])

            // Damage to the schema page is caught too.
            let schema = dir + "/schema.sqlite"
            try await makeRecording(schema, frames: 10)
            let handle2 = try #require(FileHandle(forUpdatingAtPath: schema))
            try handle2.seek(toOffset: 100)
            try handle2.write(contentsOf: Data(repeating: 0xA5, count: 3900))
            try handle2.close()
            #expect {
                _ = try RecordingReader(path: schema)
            } throws: { error in
                let code = (error as? RecordingError)?.code
                return code == .damaged || code == .notSQLite
            }
        }
    }

    @Test("a recording with a newer format version")
    func newerVersion() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/future.sqlite"
            try await makeRecording(path, frames: 1)
            try sqlite3(path, "PRAGMA user_version = 2;")
            expectError(path, .newerVersion, mentioning: ["version 2", "upgrade gatewaytape"])
        }
    }

    @Test("a SQLite file that is not a recording")
    func notARecording() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/other.sqlite"
            try sqlite3(path, "CREATE TABLE people(name TEXT);")
            expectError(path, .notARecording, mentioning: ["no sessions table"])
            let partial = dir + "/partial.sqlite"
            try sqlite3(partial, """
                CREATE TABLE sessions(id TEXT PRIMARY KEY, name TEXT, token_sha256 TEXT, created_ns INTEGER);
                CREATE TABLE connections(id INTEGER PRIMARY KEY, session_id TEXT);
                CREATE TABLE frames(id INTEGER PRIMARY KEY);
                """)
            expectError(partial, .notARecording, mentioning: ["column"])
        }
    }

    @Test("a file written by the sqlite3 shell with only SPEC §7's tables (user_version 0, no meta, NULLs)")
    func thirdPartyFile() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/script.sqlite"
            try sqlite3(path, """
                \(SpecSchema.required)
                \(SpecSchema.optional)
                INSERT INTO sessions(id) VALUES ('golden');
                INSERT INTO connections(id, session_id, opened_ns) VALUES (1, 'golden', 0);
                INSERT INTO frames(connection_id, session_id, t_ns, direction, op, payload) VALUES
                  (1, NULL, 10, 'out', 10, '{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}'),
                  (1, NULL, 20, 'in', 2, '{"op":2,"d":{"token":"redacted:abc"}}'),
                  (1, 'golden', 30, 'out', 0, '{"op":0,"s":1,"t":"READY","d":{}}');
                UPDATE frames SET seq = 1, event = 'READY' WHERE id = 3;
                INSERT INTO controls(session_id, t_ns, action) VALUES ('golden', 40, 'stop_acks');
                INSERT INTO http(session_id, t_ns, method, path, status) VALUES ('golden', 35, 'GET', '/api/v10/users/@me', 200);
                """)
            #expect(try sqlite3(path, "PRAGMA user_version;") == "0\n")
            let reader = try RecordingReader(path: path)
            #expect(reader.formatVersion == 1)
            #expect(try reader.metadata().entries.isEmpty)
            let sessions = try reader.sessions()
            #expect(sessions.count == 1)
            #expect(sessions[0].id == "golden")
            #expect(sessions[0].session == StoredSession(id: "golden"))
            #expect(sessions[0].frameCount == 3)
            #expect(sessions[0].connectionCount == 1)
            #expect(sessions[0].durationNs == 40)
            #expect(sessions[0].closeCodes == [])
            let frames = try reader.frames(sessionID: "golden")
            #expect(frames.map(\.op) == [10, 2, 0])
            #expect(frames.map(\.wireBytes) == [nil, nil, nil])
            #expect(frames[2].seq == 1 && frames[2].event == "READY")
            #expect(frames[0].payloadText == #"{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}"#)
            let connection = try #require(try reader.connections(sessionID: "golden").first)
            #expect(connection.gatewaySessionID == nil && connection.closedNs == nil && connection.query == nil)
            #expect(try reader.controls(sessionID: "golden").map(\.args) == [nil])
            // The columns added after version 1 are missing: they read as NULL.
            #expect(frames.map(\.causeHTTPID) == [nil, nil, nil])
            let calls = try reader.httpCalls(sessionID: "golden")
            #expect(calls.map(\.path) == ["/api/v10/users/@me"])
            #expect(calls[0].route == nil && calls[0].responseHeaders == nil && calls[0].request == nil)
            // Export works on it too, and import gives the same rows.
            let export = dir + "/script.jsonl"
            try RecordingExporter(reader: reader).export(sessionID: "golden", toFile: export, overwrite: false)
            try RecordingImporter.importFile(from: export, to: dir + "/copy.sqlite", overwrite: false)
            var original = try dumpRows(path)
            var copy = try dumpRows(dir + "/copy.sqlite")
            original["meta"] = nil
            copy["meta"] = nil
            #expect(original == copy)
        }
    }

    @Test("the minimal form: only sessions, connections and frames; optional tables missing")
    func minimalTables() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/minimal.sqlite"
            try sqlite3(path, """
                \(SpecSchema.required)
                INSERT INTO frames(connection_id, session_id, t_ns, direction, payload) VALUES (NULL, 'x', 5, 'in', '{}');
                """)
            let reader = try RecordingReader(path: path)
            #expect(try reader.sessions().map(\.id) == ["x"])
            #expect(try reader.controls(sessionID: "x").isEmpty)
            #expect(try reader.httpCalls(sessionID: nil).isEmpty)
            #expect(try reader.metadata().entries.isEmpty)
            #expect(try reader.frames(sessionID: "x").count == 1)
        }
    }

    @Test("the WAL of a writer that was killed (SIGKILL) is read")
    func killedWriter() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/killed.sqlite"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = ["-batch", path]
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            var script = "PRAGMA journal_mode = WAL;\n" + RecordingSchema.tables.map { $0.createSQL + ";\n" }.joined() + "PRAGMA user_version = 1;\n"
            script += "INSERT INTO connections(id, session_id, opened_ns) VALUES (1, 's', 0);\n"
            for index in 1...500 {
                script += "INSERT INTO frames(connection_id, session_id, t_ns, direction, op, payload) "
                    + "VALUES (1, 's', \(index), 'out', 0, '{\"s\":\(index)}');\n"
            }
            input.fileHandleForWriting.write(Data(script.utf8))
            // Wait (from another process) until the shell has committed everything, then kill it
            // without letting it close the database. Its stdin stays open, so it is still running.
            var count = ""
            for _ in 0..<500 where count != "500\n" {
                try await Task.sleep(for: .milliseconds(20))
                count = (try? sqlite3(path, "SELECT count(*) FROM frames;")) ?? ""
            }
            #expect(count == "500\n")
            #expect(process.isRunning)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            let walSize = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            #expect(walSize > 0)

            let reader = try RecordingReader(path: path)
            let frames = try reader.frames(sessionID: "s")
            #expect(frames.count == 500)
            #expect(frames.last?.payloadText == #"{"s":500}"#)
            #expect(try reader.integrityCheck() == ["ok"])
        }
    }

    @Test("reading a closed recording leaves no -wal/-shm behind; a live recording keeps its writer's")
    func companions() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/closed.sqlite"
            try await makeRecording(path, frames: 5)
            do {
                let reader = try RecordingReader(path: path)
                #expect(try reader.frames(sessionID: "s1").count == 5)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["closed.sqlite"])

            let live = dir + "/live.sqlite"
            let recorder = try Recorder(path: live, mode: .serve)
            recorder.record(frameEvent(0))
            await recorder.flush()
            let reader = try RecordingReader(path: live)
            #expect(try reader.frames(sessionID: "s1").count == 1)
            reader.close()
            #expect(FileManager.default.fileExists(atPath: live + "-wal"))
            recorder.record(frameEvent(1))
            try await recorder.finish()
            #expect(try RecordingReader(path: live).frames(sessionID: "s1").count == 2)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["closed.sqlite", "live.sqlite"])
        }
    }

    @Test("connections that never identified are listed with their frames")
    func unidentified() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/refused.sqlite"
            let start = MonotonicClock.now()
            let recorder = try Recorder(path: path, mode: .serve, startTime: start)
            recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 3, query: "v=10", t: start)))
            recorder.record(.frame(FrameRecord(
                connectionID: 3, sessionID: nil, t: start + 1, direction: .outbound, op: 10, seq: nil, event: nil,
                payload: bytes(#"{"op":10}"#), wireBytes: 9)))
            recorder.record(.frame(FrameRecord(
                connectionID: 3, sessionID: nil, t: start + 2, direction: .inbound, op: 2, seq: nil, event: nil,
                payload: bytes(#"{"op":2}"#), wireBytes: 8)))
            recorder.record(.connectionClosed(ConnectionClosedRecord(
                connectionID: 3, code: 4004, reason: "Authentication failed.", closedBy: .server, t: start + 3)))
            try await recorder.finish()
            let reader = try RecordingReader(path: path)
            #expect(try reader.sessions().isEmpty)
            let connections = try reader.unidentifiedConnections()
            #expect(connections.map(\.id) == [3])
            #expect(connections.first?.closeCode == 4004)
            #expect(try reader.frames(connectionID: 3).map(\.op) == [10, 2])
        }
    }

    @Test("paging through frames with afterID and limit")
    func paging() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/pages.sqlite"
            try await makeRecording(path, frames: 250)
            let reader = try RecordingReader(path: path, check: .none)
            var ids: [Int64] = []
            var last: Int64? = nil
            while true {
                let page = try reader.frames(sessionID: "s1", afterID: last, limit: 100)
                guard let tail = page.last else { break }
                ids += page.map(\.id)
                last = tail.id
            }
            #expect(ids == Array(1...250))
            #expect(try reader.frames(sessionID: nil).count == 250)
            #expect(try reader.frames(sessionID: "other").isEmpty)
            #expect(throws: RecordingError.self) { try reader.session("other") }
            reader.close()
            #expect(throws: RecordingError.self) { try reader.frames(sessionID: "s1") }
        }
    }
}
