import Foundation
import GatewayModel
import GatewayRecording
import GatewayTestClient
import Testing

/// `gatewaytape inspect --format jsonl` as a binary: frames, control actions and REST calls carry
/// every column of their table, the columns added after format version 1 included.
@Suite(.timeLimit(.minutes(1)))
struct InspectCommandTests {
    @Test func jsonlShowsEveryColumnOfFramesAndRESTCalls() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("run.sqlite").path
        let start = MonotonicClock.now()
        let recorder = try Recorder(path: file, mode: .serve, startTime: start)
        recorder.record(.session(SessionRecord(id: "s1", name: nil, tokenSHA256: "ab", t: start)))
        recorder.record(.connectionOpened(ConnectionOpenedRecord(connectionID: 1, query: "v=10", t: start + 1_000)))
        recorder.record(.connectionIdentified(ConnectionIdentifiedRecord(
            connectionID: 1, sessionID: "s1", gatewaySessionID: "g", shardID: nil, shardCount: nil)))
        recorder.record(.http(HTTPRecord(
            id: 7, sessionID: "s1", method: "POST", path: "/api/v10/channels/5/messages", status: 200,
            request: #"{"headers":{},"body":{"content":"hi"}}"#, response: #"{"id":"9"}"#, t: start + 2_000,
            route: "POST /channels/{channel.id}/messages", responseHeaders: #"{"x-ratelimit-limit":"5"}"#)))
        recorder.record(.frame(FrameRecord(
            connectionID: 1, sessionID: "s1", t: start + 3_000, direction: .outbound, op: 0, seq: 2, event: "MESSAGE_CREATE",
            payload: Array(#"{"op":0,"s":2,"t":"MESSAGE_CREATE","d":{"id":"9"}}"#.utf8), wireBytes: 50, causeHTTPID: 7)))
        try await recorder.finish()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try gatewaytapeBinary())
        process.arguments = ["inspect", file, "--session", "s1", "--format", "jsonl"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            try JSONValue(parsing: String(line))
        }
        let call = try #require(lines.first { $0["kind"] == "http" })
        #expect(call["id"] == 7 && call["route"] == "POST /channels/{channel.id}/messages")
        #expect(call["response_headers"]?["x-ratelimit-limit"] == "5", "headers embedded as JSON")
        #expect(call["request"]?["body"]?["content"] == "hi")
        let frame = try #require(lines.first { $0["kind"] == "frame" })
        #expect(frame["cause_http_id"] == 7 && frame["event"] == "MESSAGE_CREATE" && frame["wire_bytes"] == 50)
        #expect(frame["payload"]?["d"]?["id"] == "9")
        guard case .object(let fields) = frame else { return }
        #expect(Set(fields.keys).isSuperset(of: ["offset_ms", "t_ns", "size", "name", "connection_id", "session_id", "direction"]))
    }
}
