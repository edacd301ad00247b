import Foundation
import GatewayModel
import GatewayRecording
import GatewayReport
import Synchronization

/// The package root (this file is Tests/GatewayReportTests/TestSupport.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A private copy of a golden recording of recordings/ (so no reader leaves files in the source tree).
func golden(_ name: String) -> String {
    goldenCopies.withLock { directory in
        if directory == nil {
            let path = NSTemporaryDirectory() + "gatewaytape-report-goldens-\(getpid())-" + UUID().uuidString
            try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in ["plain", "resume", "zombie", "invalidate"] {
                try! FileManager.default.copyItem(atPath: "\(packageRoot)/recordings/\(file).sqlite", toPath: "\(path)/\(file).sqlite")
            }
            directory = path
        }
        return directory! + "/\(name).sqlite"
    }
}

private let goldenCopies = Mutex<String?>(nil)

/// The report of a recording's only or first session.
func readReport(_ path: String, session: String? = nil) throws -> SessionReport {
    let reader = try RecordingReader(path: path)
    defer { reader.close() }
    return try SessionReport(reader: reader, sessionID: session)
}

/// A fresh directory under the system temp directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "gatewaytape-report-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A recording event and when it happens (ms from the recording's start).
typealias TimedEvent = (ms: Double, event: (UInt64) -> RecordEvent)

/// `make` at `ms`.
func at(_ ms: Double, _ make: @escaping (UInt64) -> RecordEvent) -> TimedEvent { (ms, make) }

/// Writes a small session with the Recorder.
func writeRecording(_ path: String, _ events: [TimedEvent]) async throws {
    let start: UInt64 = 1_000_000_000_000
    let recorder = try Recorder(path: path, mode: .serve, startTime: start)
    for (ms, make) in events { recorder.record(make(start + UInt64(ms * 1_000_000))) }
    try await recorder.finish()
}

/// A frame event of session `s1`.
func frame(_ connection: Int64, _ direction: FrameDirection, _ json: String) -> (UInt64) -> RecordEvent {
    let value = try? JSONValue(parsing: json)
    return { t in
        .frame(
            FrameRecord(
                connectionID: connection, sessionID: "s1", t: t, direction: direction, op: value?["op"]?.int64Value.map { Int($0) },
                seq: value?["s"]?.int64Value, event: value?["t"]?.stringValue, payload: Array(json.utf8), wireBytes: json.utf8.count))
    }
}
