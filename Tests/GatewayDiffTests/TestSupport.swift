import Foundation
import Synchronization
import GatewayDiff
import GatewayRecording

/// The package root (this file is Tests/GatewayDiffTests/TestSupport.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A copy of a committed recording of recordings/diff/ (made by Tools/recordings/record_diff_pairs.py).
///
/// Tests read copies in a temporary directory, one set per `copy` name: readers opening the same
/// WAL-mode file in parallel (Swift Testing runs tests concurrently) may leave `-wal`/`-shm` files
/// next to it, which must not appear in the source tree, and may see "database is locked" (reported
/// to the reader's owner). In-process reads go through ``behaviour(_:session:)``, which
/// serialises them; the command-line tests use their own copies.
func recording(_ name: String, copy: String = "shared") -> String {
    committedCopies.withLock { directories in
        if directories[copy] == nil {
            let path = NSTemporaryDirectory() + "gatewaytape-diff-recordings-\(getpid())-" + UUID().uuidString
            try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let source = packageRoot + "/recordings/diff"
            for file in try! FileManager.default.contentsOfDirectory(atPath: source) where file.hasSuffix(".sqlite") {
                try! FileManager.default.copyItem(atPath: source + "/" + file, toPath: path + "/" + file)
            }
            directories[copy] = path
        }
        return directories[copy]! + "/\(name).sqlite"
    }
}

private let committedCopies = Mutex<[String: String]>([:])
private let readLock = Mutex<Void>(())

/// The only or first session of a recording.
func behaviour(_ path: String, session: String? = nil) throws -> BotBehaviour {
    try readLock.withLock { _ in
        let reader = try RecordingReader(path: path)
        defer { reader.close() }
        return try BotBehaviour(reader: reader, sessionID: session)
    }
}

/// A fresh directory under the system temp directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "gatewaytape-diff-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}
