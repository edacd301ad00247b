import Foundation
import GatewayModel
import GatewayRecording
import Testing

/// Several readers opening one recording at the same moment (parallel tests, `inspect` while `diff`
/// runs) wait for each other instead of failing with "database is locked".
struct ConcurrentReaderTests {
    @Test func manyReadersOpenTheSameWALFileAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("readers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("run.sqlite").path
        let recorder = try Recorder(path: path, mode: .serve)
        let start = MonotonicClock.now()
        recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 1, query: "", t: start)))
        for index in 0..<2_000 {
            recorder.record(.frame(FrameRecord(
                connectionID: 1, sessionID: nil, t: start + UInt64(index), direction: .inbound, op: 1, seq: nil, event: nil,
                payload: Array(#"{"op":1,"d":\#(index)}"#.utf8), wireBytes: 0)))
        }
        await recorder.flush()  // committed to the WAL; the writer keeps the file open

        func readTogether() async throws -> [Int] {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask { try RecordingReader(path: path).frames(sessionID: nil).count }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        #expect(try await readTogether() == Array(repeating: 2_000, count: 8))
        try await recorder.finish()
        // A finished file: each reader may have to open the WAL index itself.
        for _ in 0..<5 { #expect(try await readTogether() == Array(repeating: 2_000, count: 8)) }
    }
}
