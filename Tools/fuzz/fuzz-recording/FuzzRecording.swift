import Foundation
import FuzzDriver
import GatewayRecording

/// The recording reader on damaged files: any bytes either are refused with a `RecordingError` or
/// read through every reader call that `inspect`, `export`, `diff` and `replay` make, without a
/// crash.
@main
enum FuzzRecording {
    static func main() { fuzzMain(fuzzOne) }
}

/// One file per process, rewritten for each input (in memory-backed /dev/shm when there is one).
private let path =
    (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
    + "/gatewaytape-fuzz-recording-\(getpid()).sqlite"

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
    guard FileManager.default.createFile(atPath: path, contents: Data(UnsafeBufferPointer(start: data, count: count))) else {
        fatalError("cannot write \(path)")
    }
    defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) } }
    do {
        let reader = try RecordingReader(path: path)
        _ = try reader.metadata()
        for session in try reader.sessions() {
            _ = try SessionTimeline(reader: reader, sessionID: session.id)
            _ = try RecordingExporter(reader: reader).exportedText(sessionID: session.id)
        }
        for connection in try reader.unidentifiedConnections() {
            _ = try reader.frames(connectionID: connection.id)
        }
        _ = try reader.httpCalls(sessionID: nil)
        _ = try reader.controls(sessionID: nil)
        reader.close()
    } catch {
        // A refusal with a message is the expected outcome for most damaged files.
        _ = "\(error)"
    }
    return 0
}
