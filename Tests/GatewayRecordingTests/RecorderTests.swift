import Foundation
import GatewayModel
import Testing

@testable import GatewayRecording

@Suite("Recorder")
struct RecorderTests {
    @Test("every table round-trips through the file")
    func roundTrip() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/run.sqlite"
            let start = MonotonicClock.now()
            let recorder = try Recorder(path: path, mode: .proxy, source: "wss://gateway.discord.gg", startTime: start)
            recordSampleSession(recorder, start: start)
            try await recorder.finish()
            #expect(recorder.statistics.written == recorder.statistics.recorded)
            #expect(recorder.statistics.pending == 0)

            // After finish the WAL is in the main file, which is back in rollback-journal mode.
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(try sqlite3(path, "PRAGMA user_version;") == "1\n")
            #expect(try sqlite3(path, "PRAGMA journal_mode;") == "delete\n")

            let reader = try RecordingReader(path: path)
            #expect(reader.formatVersion == 1)
            let meta = try reader.metadata()
            #expect(meta.format == "gatewaytape-recording/1")
            #expect(meta.mode == "proxy")
            #expect(meta.source == "wss://gateway.discord.gg")
            #expect(meta.toolVersion == Recorder.toolVersion)
            let created = try #require(meta.createdAt)
            #expect(created.count == 20 && created.hasSuffix("Z") && created.contains("T"))

            let sessions = try reader.storedSessions()
            #expect(sessions == [StoredSession(id: "s1", name: "bot \"one\"", tokenSHA256: "ab12", createdNs: 1_000_000)])

            let connections = try reader.connections(sessionID: "s1")
            #expect(connections.count == 2)
            #expect(connections[0] == StoredConnection(
                id: 7, sessionID: "s1", gatewaySessionID: "gw-1", shardID: 0, shardCount: 2, openedNs: 3_000_000,
                closedNs: 21_000_000, closeCode: 4000, closeReason: "bye", closedBy: "server", query: "v=10&encoding=json"))
            #expect(connections[1] == StoredConnection(
                id: 8, sessionID: "s1", gatewaySessionID: "gw-1", shardID: nil, shardCount: nil, openedNs: 30_000_000,
                closedNs: 40_000_000, closeCode: nil, closeReason: nil, closedBy: "drop", query: ""))
            #expect(connections[1].closedByValue == .drop)

            // Frames: wire order, session_id as given (NULL before identify), payload bytes exact.
            let frames = try reader.frames(sessionID: "s1")
            #expect(frames.map(\.id) == Array(1...Int64(nastyPayloads.count)))
            #expect(frames.map(\.payload) == nastyPayloads)
            let expectedSessions: [String?] = [nil, nil] + Array(repeating: "s1", count: nastyPayloads.count - 2)
            #expect(frames.map(\.sessionID) == expectedSessions)
            #expect(frames[0].direction == .outbound && frames[1].direction == .inbound)
            #expect(frames[0].op == 10 && frames[0].seq == nil && frames[0].event == nil)
            #expect(frames[1].op == 0 && frames[1].seq == 1 && frames[1].event == "MESSAGE_CREATE")
            let expectedTimes: [Int64] = (0..<Int64(nastyPayloads.count)).map { ($0 + 4) * 1_000_000 }
            #expect(frames.map(\.tNs) == expectedTimes)
            #expect(frames[2].wireBytes == nastyPayloads[2].count / 2)
            // The empty payload is stored as '' (not NULL).
            #expect(try sqlite3(path, "SELECT typeof(payload) FROM frames WHERE id = 6;") == "text\n")

            let controls = try reader.controls(sessionID: "s1")
            #expect(controls == [
                StoredControl(id: 1, sessionID: "s1", tNs: 20_000_000, action: "disconnect", args: #"{"code":4000}"#),
                StoredControl(id: 2, sessionID: nil, tNs: 22_000_000, action: "heartbeat_interval", args: #"{"interval":1000}"#),
            ])
            #expect(try reader.controls(sessionID: "s1", includingUnassigned: false).count == 1)
            let calls = try reader.httpCalls(sessionID: "s1")
            #expect(calls == [StoredHTTPCall(
                id: 41, sessionID: "s1", tNs: 2_000_000, method: "GET", path: "/api/v10/gateway/bot", status: 200,
                request: #"{"headers":{"authorization":"redacted:0123456789ab"}}"#,
                response: #"{"url":"ws://127.0.0.1:8765"}"#, route: "GET /gateway/bot",
                responseHeaders: #"{"content-type":"application/json"}"#)])
            // The dispatch the call caused names it; the other frames name none.
            #expect(frames.map(\.causeHTTPID) == [nil, nil, 41] + Array(repeating: nil, count: nastyPayloads.count - 3))

            let summary = try reader.session("s1")
            #expect(summary.connectionCount == 2)
            #expect(summary.frameCount == nastyPayloads.count)
            #expect(summary.closeCodes == [4000])
            #expect(summary.firstNs == 1_000_000)
            #expect(summary.lastNs == 40_000_000)
            #expect(try reader.integrityCheck() == ["ok"])
        }
    }

    @Test("payload bytes are stored exactly, including NUL and invalid UTF-8")
    func payloadBytesExact() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/bytes.sqlite"
            let recorder = try Recorder(path: path, mode: .serve)
            let payloads: [[UInt8]] = [[0x7B, 0x00, 0x7D], [0xFF, 0xFE, 0x22, 0xC3], Array(0...255), []]
            for payload in payloads {
                recorder.record(.frame(FrameRecord(
                    connectionID: 1, sessionID: "s", t: MonotonicClock.now(), direction: .inbound, op: nil, seq: nil,
                    event: nil, payload: payload, wireBytes: payload.count)))
            }
            try await recorder.finish()
            let frames = try RecordingReader(path: path).frames(sessionID: "s")
            #expect(frames.map(\.payload) == payloads)
            let hex = try sqlite3(path, "SELECT hex(payload) FROM frames ORDER BY id;")
            #expect(hex.split(separator: "\n", omittingEmptySubsequences: false).prefix(2) == ["7B007D", "FFFE22C3"])
        }
    }

    @Test("frames and controls written in groups keep their order and every value, whatever their size")
    func groupedRowsExact() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/groups.sqlite"
            let recorder = try Recorder(path: path, mode: .serve, startTime: 1_000)
            // 53 frames: three full groups of 16 and a rest; one payload far bigger than the
            // inserter's first text chunk; fields that change from row to row, NULLs included.
            var expected: [FrameRecord] = []
            var payloads: [[UInt8]] = []
            var controls: [ControlRecord] = []
            for index in 0..<53 {
                var payload = nastyPayloads[index % nastyPayloads.count]
                if index == 20 { payload = Array(repeating: UInt8(ascii: "y"), count: 70_000) }
                let frame = FrameRecord(
                    connectionID: Int64(index % 3), sessionID: index % 5 == 0 ? nil : "s\(index % 2)", t: 1_000 + UInt64(index),
                    direction: index % 2 == 0 ? .outbound : .inbound, op: index % 4 == 0 ? nil : index % 4,
                    seq: index % 3 == 0 ? nil : Int64(index), event: index % 7 == 0 ? nil : "EVENT_\(index % 3)",
                    payload: payload, wireBytes: index)
                expected.append(frame)
                payloads.append(payload)
                recorder.record(.frame(frame))
                if index % 2 == 0 {
                    let control = ControlRecord(
                        sessionID: "s1", action: "dispatch",
                        arguments: .dispatch(event: index % 4 == 0 ? "MESSAGE_CREATE" : "TYPING_START", guildID: index % 6 == 0 ? nil : 42),
                        t: 1_000 + UInt64(index))
                    controls.append(control)
                    recorder.record(.control(control))
                }
            }
            try await recorder.finish()
            let reader = try RecordingReader(path: path)
            let frames = try reader.frames(sessionID: nil)
            #expect(frames.count == expected.count)
            #expect(frames.map(\.payload) == payloads)
            for (stored, frame) in zip(frames, expected) {
                #expect(stored.connectionID == frame.connectionID)
                #expect(stored.sessionID == frame.sessionID)
                #expect(stored.tNs == Int64(frame.t) - 1_000)
                #expect(stored.direction == frame.direction)
                #expect(stored.op == frame.op)
                #expect(stored.seq == frame.seq)
                #expect(stored.event == frame.event)
                #expect(stored.wireBytes == frame.wireBytes)
            }
            #expect(frames.map(\.id) == Array(1...Int64(expected.count)))
            let args = try sqlite3(path, "SELECT args FROM controls ORDER BY id;").split(separator: "\n").map(String.init)
            #expect(args == controls.map(\.args))
            #expect(args.first == #"{"event":"MESSAGE_CREATE","guild_id":null}"#)
            #expect(args[1] == #"{"event":"TYPING_START","guild_id":"42"}"#)
        }
    }

    @Test("a frame is committed without a flush and visible to another connection")
    func commitLatency() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/live.sqlite"
            let recorder = try Recorder(path: path, mode: .serve)
            for index in 0..<10 { recorder.record(frameEvent(index, size: 200)) }
            // A second, read-only connection while the recorder is still open sees the frames
            // once the writer commits on its own (its linger is milliseconds; 5 s is the give-up).
            try await waitUntil { try sqlite3(path, "SELECT count(*) FROM frames;") == "10\n" }
            let reader = try RecordingReader(path: path)
            #expect(try reader.frames(sessionID: "s1").count == 10)
            // And again, a frame recorded while a reader is open.
            recorder.record(frameEvent(10, size: 200))
            try await waitUntil { try reader.frames(sessionID: "s1").count == 11 }
            try await recorder.finish()
        }
    }

    @Test("flush waits until everything recorded is committed")
    func flush() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/flush.sqlite"
            let recorder = try Recorder(path: path, mode: .serve)
            for index in 0..<5000 { recorder.record(frameEvent(index, size: 100)) }
            await recorder.flush()
            #expect(recorder.statistics.written == 5000)
            #expect(try sqlite3(path, "SELECT count(*) FROM frames;") == "5000\n")
            try await recorder.finish()
        }
    }

    @Test("backpressure: waitUntilWritable suspends over the high-water mark and returns once drained")
    func backpressure() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/slow.sqlite"
            let options = Recorder.Options(highWaterEvents: 200, lowWaterEvents: 50, maxTransactionRows: 25)
            let recorder = try Recorder(path: path, mode: .serve, options: options)
            // The disk stalls while the backlog goes over the mark (record itself never waits).
            let stall = try DiskStall(path)
            for index in 0..<20_000 { recorder.record(frameEvent(index)) }
            #expect(recorder.statistics.pending > 200)
            let waiter = Task { await recorder.waitUntilWritable() }
            try await waitUntilThrottled(recorder)
            #expect(recorder.statistics.throttled >= 1)
            #expect(recorder.statistics.pending > 200)
            try stall.end()
            await waiter.value
            let after = recorder.statistics
            #expect(after.pending <= 50)
            // A producer that honours backpressure never gets far ahead.
            var maxPending = 0
            for index in 20_000..<40_000 {
                recorder.record(frameEvent(index, size: 300))
                await recorder.waitUntilWritable()
                maxPending = max(maxPending, recorder.statistics.pending)
            }
            #expect(maxPending <= 201)
            try await recorder.finish()
            // Nothing dropped.
            #expect(recorder.statistics.written == 40_000)
            #expect(try sqlite3(path, "SELECT count(*), min(id), max(id), min(seq), max(seq) FROM frames;") == "40000|1|40000|0|39999\n")
            // Frames in record order.
            #expect(try sqlite3(path, "SELECT count(*) FROM frames WHERE seq != id - 1;") == "0\n")
        }
    }

    @Test("concurrent producers: nothing lost, each producer's frames in its order")
    func concurrentProducers() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/concurrent.sqlite"
            let recorder = try Recorder(path: path, mode: .serve, options: Recorder.Options(highWaterEvents: 1000, lowWaterEvents: 500))
            await withTaskGroup(of: Void.self) { group in
                for producer in 1...4 {
                    group.addTask {
                        for index in 0..<5000 {
                            recorder.record(frameEvent(index, size: 200, connectionID: Int64(producer)))
                            await recorder.waitUntilWritable()
                        }
                    }
                }
            }
            try await recorder.finish()
            #expect(try sqlite3(path, "SELECT count(*), count(DISTINCT connection_id) FROM frames;") == "20000|4\n")
            // Within a connection, ids (wire order) follow the order each producer recorded in.
            let disorder = try sqlite3(path, """
                SELECT count(*) FROM frames a JOIN frames b ON a.connection_id = b.connection_id AND b.id = (
                  SELECT min(id) FROM frames c WHERE c.connection_id = a.connection_id AND c.id > a.id)
                WHERE b.seq != a.seq + 1;
                """)
            #expect(disorder == "0\n")
        }
    }

    @Test("waitUntilWritable also honours the byte budget")
    func backpressureBytes() async throws {
        try await withTemporaryDirectory { dir in
            let options = Recorder.Options(highWaterBytes: 100_000, lowWaterBytes: 10_000)
            let path = dir + "/bytes.sqlite"
            let recorder = try Recorder(path: path, mode: .serve, options: options)
            // 50 events of 4 KB: far under the event marks, over the byte mark while the disk stalls.
            let stall = try DiskStall(path)
            for index in 0..<50 { recorder.record(frameEvent(index, size: 4000)) }
            let waiter = Task { await recorder.waitUntilWritable() }
            try await waitUntilThrottled(recorder)
            #expect(recorder.statistics.throttled >= 1)
            try stall.end()
            await waiter.value
            #expect(recorder.statistics.pendingBytes <= 10_000)
            for index in 50..<2000 {
                recorder.record(frameEvent(index, size: 4000))
                await recorder.waitUntilWritable()
            }
            try await recorder.finish()
            #expect(recorder.statistics.written == 2000)
        }
    }

    @Test("finish is idempotent; events after it are counted, not written")
    func finishTwice() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/twice.sqlite"
            let recorder = try Recorder(path: path, mode: .replay, source: "golden.sqlite")
            recorder.record(frameEvent(0))
            async let first: Void = recorder.finish()
            async let second: Void = recorder.finish()
            _ = try await (first, second)
            try await recorder.finish()
            recorder.record(frameEvent(1))
            #expect(recorder.statistics.late == 1)
            await recorder.waitUntilWritable()
            await recorder.flush()
            #expect(try sqlite3(path, "SELECT count(*) FROM frames;") == "1\n")
            #expect(try RecordingReader(path: path).metadata().source == "golden.sqlite")
        }
    }

    @Test("a released recorder still drains and closes its file")
    func deinitCloses() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/dropped.sqlite"
            do {
                let recorder = try Recorder(path: path, mode: .serve)
                for index in 0..<100 { recorder.record(frameEvent(index)) }
            }
            for _ in 0..<100 where FileManager.default.fileExists(atPath: path + "-wal") {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(try sqlite3(path, "SELECT count(*) FROM frames;") == "100\n")
        }
    }

    @Test("an existing file is refused unless overwrite, then replaced")
    func overwrite() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/exists.sqlite"
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
            #expect {
                _ = try Recorder(path: path, mode: .serve)
            } throws: { error in
                (error as? RecordingError)?.code == .fileExists
                    && "\(error)".contains("already exists; pass --overwrite")
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")

            let first = try Recorder(path: path, mode: .serve, overwrite: true)
            for index in 0..<3 { first.record(frameEvent(index)) }
            try await first.finish()
            let second = try Recorder(path: path, mode: .serve, overwrite: true)
            second.record(frameEvent(9))
            try await second.finish()
            #expect(try sqlite3(path, "SELECT count(*), max(seq) FROM frames;") == "1|9\n")

            #expect {
                _ = try Recorder(path: dir + "/missing-dir/x.sqlite", mode: .serve)
            } throws: { error in
                (error as? RecordingError)?.code == .ioFailure
            }
        }
    }

    @Test("the recording survives a crash: a snapshot of db + WAL + shm taken mid-recording reads back")
    func crashSnapshot() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/live.sqlite"
            let recorder = try Recorder(path: path, mode: .serve)
            for index in 0..<3000 { recorder.record(frameEvent(index)) }
            await recorder.flush()
            // Copy the files as a crash would leave them: the writer never closed.
            let copy = dir + "/crashed.sqlite"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix)
            }
            #expect(FileManager.default.fileExists(atPath: copy + "-wal"))
            let reader = try RecordingReader(path: copy)
            #expect(try reader.frames(sessionID: "s1").count == 3000)
            #expect(try reader.integrityCheck() == ["ok"])
            // Without the -shm (lost in the crash) it is still readable.
            try FileManager.default.removeItem(atPath: copy + "-shm")
            #expect(try RecordingReader(path: copy).frames(sessionID: "s1").count == 3000)
            try await recorder.finish()
        }
    }
}
