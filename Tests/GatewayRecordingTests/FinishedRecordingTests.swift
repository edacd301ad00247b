import Foundation
import GatewayModel
import Testing

@testable import GatewayRecording

/// SPEC §7: a recording closed cleanly, and a file `import` writes, are in rollback-journal mode, so
/// that they open read-only anywhere (a read-only folder, a CI cache) without `-wal`/`-shm` files.
@Suite("Finished recordings")
struct FinishedRecordingTests {
    /// The journal mode recorded in the file's header: bytes 18 and 19 are 1 for a rollback
    /// journal, 2 for WAL.
    private func headerJournalBytes(_ path: String) throws -> [UInt8] {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: 18)
        return Array(try handle.read(upToCount: 2) ?? Data())
    }

    /// Checks that `path` is in rollback-journal mode, then reads it from a copy in a folder made
    /// read-only (0555): every session and frame reads, and no file appears beside it.
    ///
    /// Tests run as root here, whom the folder's mode does not stop; the listing before and after
    /// and the header bytes are what make the check hold for root too.
    private func expectOpensInReadOnlyFolder(_ path: String, in dir: String) throws {
        #expect(try headerJournalBytes(path) == [1, 1], "\(path) is not in rollback-journal mode")
        #expect(try sqlite3(path, "PRAGMA journal_mode;") == "delete\n")
        let folder = dir + "/read-only-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let copy = folder + "/" + URL(fileURLWithPath: path).lastPathComponent
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder) }
        let before = try FileManager.default.contentsOfDirectory(atPath: folder)
        let reader = try RecordingReader(path: copy)
        var frames = 0
        for session in try reader.sessions() {
            frames += try reader.frames(sessionID: session.id).count
            _ = try reader.httpCalls(sessionID: session.id)
        }
        #expect(frames > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == before, "nothing appears while reading")
        reader.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == before)
    }

    @Test("a recording closed cleanly is in rollback-journal mode and opens in a read-only folder")
    func recorderLeavesWAL() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/run.sqlite"
            let start = MonotonicClock.now()
            let recorder = try Recorder(path: path, mode: .serve, startTime: start)
            recordSampleSession(recorder, start: start)
            // While recording, the file is in WAL mode (a crash loses at most the last moment).
            #expect(try headerJournalBytes(path) == [2, 2])
            try await recorder.finish()
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
            try expectOpensInReadOnlyFolder(path, in: dir)
        }
    }

    @Test("a file import writes is in rollback-journal mode")
    func importLeavesWAL() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/run.sqlite"
            let start = MonotonicClock.now()
            let recorder = try Recorder(path: path, mode: .serve, startTime: start)
            recordSampleSession(recorder, start: start)
            try await recorder.finish()
            try RecordingExporter(reader: RecordingReader(path: path)).export(
                sessionID: "s1", toFile: dir + "/s1.jsonl", overwrite: false)
            try RecordingImporter.importFile(from: dir + "/s1.jsonl", to: dir + "/copy.sqlite", overwrite: false)
            #expect(!FileManager.default.fileExists(atPath: dir + "/copy.sqlite-wal"))
            try expectOpensInReadOnlyFolder(dir + "/copy.sqlite", in: dir)
        }
    }

    /// The golden recordings committed in recordings/ (replayed and diffed in CI).
    static let goldenFiles: [String] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("recordings")
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".sqlite") }.sorted().map { root.appendingPathComponent($0).path }
    }()

    @Test("the committed golden recordings open in a read-only folder")
    func goldenFiles() async throws {
        #expect(Self.goldenFiles.count >= 10, "recordings/ holds the golden files")
        try await withTemporaryDirectory { dir in
            for path in Self.goldenFiles {
                try expectOpensInReadOnlyFolder(path, in: dir)
            }
        }
    }
}
