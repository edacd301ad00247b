import Foundation
import GatewayModel
import GatewayRecording
import GatewayTestClient
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `serve --record` as a real process: a bot's REST calls land in `http` with their route and answer
/// headers, the events they cause carry `frames.cause_http_id`, and an injected fault is a control row.
@Suite(.timeLimit(.minutes(1)))
struct RESTRecordingTests {
    static func call(_ port: Int, _ method: String, _ path: String, _ body: JSONValue?, authorization: String?) async throws -> (Int, JSONValue?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.jsonBytes); request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONValue(parsing: [UInt8](data)))
    }

    @Test func restCallsAndTheEventsTheyCauseAreRecorded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rest-record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("run.sqlite").path
        let (process, port) = try startGatewaytapeServe(["--record", file])

        let client = try await GatewayTestClient.connect(port: port)
        _ = try await client.next()
        try await client.send(op: 2, ["token": "recorded-bot", "intents": 33_281, "properties": [:]])
        _ = try await client.nextDispatch("READY")
        let (status, sent) = try await Self.call(port, "POST", "/api/v10/channels/1100000000000000101/messages", ["content": "pong"],
            authorization: "Bot recorded-bot")
        #expect(status == 200)
        let event = try await client.nextDispatch("MESSAGE_CREATE")
        #expect(event["d"]?["id"] == sent?["id"])
        let (_, sessions) = try await Self.call(port, "GET", "/api/control/sessions", nil, authorization: nil)
        let session = try #require(sessions?.arrayValue?.first?["id"]?.stringValue)
        _ = try await Self.call(port, "POST", "/api/control/sessions/\(session)/rest-faults", ["status": 429, "retry_after": 1], authorization: nil)
        let (limited, _) = try await Self.call(port, "POST", "/api/v10/channels/1100000000000000101/typing", nil, authorization: "Bot recorded-bot")
        #expect(limited == 429)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let reader = try RecordingReader(path: file)
        let calls = try reader.httpCalls(sessionID: session)
        let post = try #require(calls.first { $0.method == "POST" && $0.status == 200 })
        #expect(post.route == "POST /channels/{channel.id}/messages")
        let headers = try JSONValue(parsing: try #require(post.responseHeaders))
        #expect(headers["via"] == "1.1 google" && headers["x-ratelimit-bucket"] != nil && headers["content-type"] == "application/json")
        #expect(!(try #require(post.request)).contains("recorded-bot"), "the token is redacted")
        let frames = try reader.frames(sessionID: session)
        let echoed = try #require(frames.first { $0.event == "MESSAGE_CREATE" })
        #expect(echoed.causeHTTPID == post.id)
        #expect(frames.filter { $0.causeHTTPID != nil }.count == 1)
        let fault = try #require(calls.first { $0.status == 429 })
        #expect(fault.route == "POST /channels/{channel.id}/typing")
        #expect(try reader.controls(sessionID: session).contains { $0.action == "rest_fault" })
    }
}
