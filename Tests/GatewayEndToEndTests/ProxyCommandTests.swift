import Foundation
import GatewayModel
import GatewayRecording
import GatewayTestClient
import Testing

/// `serve --tls-cert/--tls-key` and `proxy` as real processes: the listening lines, a bot through the
/// proxy to a TLS upstream, the proxy's recording, and bad input.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ProxyCommandTests {
    /// A running `gatewaytape` process and the port its listening line names.
    struct Running {
        let process: Process
        let line: String
        let port: Int

        static func start(_ arguments: [String]) throws -> Running {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try gatewaytapeBinary())
            process.arguments = arguments
            let stdout = Pipe()
            process.standardOutput = stdout
            try process.run()
            let line = String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let port = try #require(line.split(separator: ":").last.flatMap { Int($0) }, "listening line: \(line)")
            return Running(process: process, line: line, port: port)
        }

        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Runs to completion; returns the exit status and stderr.
    func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try gatewaytapeBinary())
        process.arguments = arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test func aBotThroughTheProxyToATLSUpstreamIsRecordedAsProxyMode() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let file = certificates.directory.appendingPathComponent("run.sqlite").path
        let upstream = try Running.start(["serve", "--port", "0", "--tls-cert", certificates.certificatePath, "--tls-key", certificates.keyPath])
        #expect(upstream.line == "listening on https://127.0.0.1:\(upstream.port)")
        let proxy = try Running.start([
            "proxy", "--port", "0", "--upstream", "https://127.0.0.1:\(upstream.port)", "--upstream-ca", certificates.caPath, "--record", file,
        ])
        #expect(proxy.line == "listening on http://127.0.0.1:\(proxy.port)")

        let bot = try await GatewayTestClient.connect(port: proxy.port, query: "v=10&encoding=json&compress=zlib-stream")
        #expect(try await bot.next()["op"] == 10)
        try await bot.send(op: 2, ["token": "cli-secret-token", "intents": 513, "properties": [:]])
        let ready = try await bot.nextDispatch("READY")
        let sessionID = try #require(ready["d"]?["session_id"]?.stringValue)
        try await bot.send(#"{"op":1,"d":null}"#)
        #expect(try await bot.nextDispatch("GUILD_CREATE")["op"] == 0)
        #expect(proxy.stop() == 0)
        #expect(upstream.stop() == 0)

        let reader = try RecordingReader(path: file)
        defer { reader.close() }
        #expect(try reader.metadata().mode == "proxy")
        #expect(try reader.metadata().source == "https://127.0.0.1:\(upstream.port)")
        let session = try #require(try reader.storedSessions().first)
        let frames = try reader.frames(sessionID: session.id)
        let identify = try #require(frames.first { $0.direction == .inbound && $0.op == 2 })
        #expect(!identify.payloadText.contains("cli-secret-token"))
        #expect(identify.payloadText.contains("redacted:"))
        let recordedReady = try #require(frames.first { $0.event == "READY" })
        #expect(recordedReady.payloadText.contains("ws://127.0.0.1:\(proxy.port)/resume/\(sessionID)"))
        #expect(frames.contains { $0.direction == .inbound && $0.op == 1 })
        #expect(try reader.connections(sessionID: session.id).first?.closeCode == 1001)
    }

    @Test(arguments: [
        (["proxy", "--upstream", "not a url"], "bad upstream URL"),
        (["proxy", "--upstream", "ftp://example.com"], "scheme"),
        (["proxy", "--upstream-gateway", "https://gateway.example"], "scheme"),
        (["proxy", "--upstream-ca", "/nonexistent/ca.pem"], "/nonexistent/ca.pem"),
        (["serve", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"], "/nonexistent/cert.pem"),
    ])
    func badInputIsOneLineAndExit2(arguments: [String], mentions: String) throws {
        let (status, stderr) = try run(arguments + ["--port", "0"])
        #expect(status == 2)
        #expect(stderr.split(separator: "\n").count == 1, "stderr: \(stderr)")
        #expect(stderr.contains(mentions), "stderr: \(stderr)")
    }
}
