import Foundation

/// The `gatewaytape` executable the tests run: `GATEWAYTAPE_BIN` when set, otherwise the one
/// `swift build` put beside the running test bundle (the folder `swift build --show-bin-path`
/// names, for whichever configuration and platform the tests were built).
/// - Throws: `TestClientError.unexpected`, saying where it looked, when there is no executable there:
///   a test that needs the binary fails instead of skipping.
public func gatewaytapeBinary() throws -> String {
    if let path = ProcessInfo.processInfo.environment["GATEWAYTAPE_BIN"], !path.isEmpty {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestClientError.unexpected("GATEWAYTAPE_BIN=\(path) is not an executable")
        }
        return path
    }
    let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    var folder = bundle.resolvingSymlinksInPath().deletingLastPathComponent()
    // macOS runs tests inside `X.xctest/Contents/MacOS/`; the products are beside `X.xctest`.
    while folder.path.contains(".xctest") { folder.deleteLastPathComponent() }
    let path = folder.appendingPathComponent("gatewaytape").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestClientError.unexpected(
            "no gatewaytape executable at \(path) (beside the test bundle): run `swift build` first")
    }
    return path
}

/// Starts `gatewaytape serve ARGUMENTS` (with `--port 0`) and reads its listening line.
/// - Returns: the running process and the port it listens on.
public func startGatewaytapeServe(_ arguments: [String]) throws -> (process: Process, port: Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try gatewaytapeBinary())
    process.arguments = ["serve", "--port", "0"] + arguments
    let stdout = Pipe()
    process.standardOutput = stdout
    try process.run()
    let line = String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self)
    guard let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
        process.terminate()
        throw TestClientError.unexpected("gatewaytape serve printed no listening line: \(line)")
    }
    return (process, port)
}
