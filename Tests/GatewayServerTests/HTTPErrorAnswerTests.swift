import Foundation
import GatewayModel
import GatewayServer
import Testing

/// Every request the server cannot serve gets a 4xx JSON answer, byte for byte over a raw socket:
/// the control API's `{error}`, Discord's shape on REST routes, and a 400 for what HTTP cannot parse.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct HTTPErrorAnswerTests {
    /// A response's status, lowercased head and JSON body.
    struct Answer {
        let status: Int
        let head: String
        let json: JSONValue?

        init(_ text: String) {
            let parts = text.components(separatedBy: "\r\n\r\n")
            head = parts[0].lowercased()
            status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            json = try? JSONValue(parsing: Array(parts.dropFirst().joined(separator: "\r\n\r\n").utf8))
        }
    }

    static func request(_ port: Int, _ method: String, _ path: String) async throws -> Answer {
        let socket = try RawSocket(port: port)
        try socket.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 0\r\n\r\n")
        return Answer(try await socket.blocking { try $0.readHTTPResponse() })
    }

    @Test func aRequestHTTPCannotParseGets400JSONAndTheConnectionCloses() async throws {
        let server = try await TestServer.start()
        for garbage in ["GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nBad Header Line\r\n\r\n", "FOO /api/control/sessions HTTP/1.1\r\n\r\n"] {
            let socket = try RawSocket(port: server.port)
            try socket.send(bytes: Array(garbage.utf8) + [0xff, 0x00])
            let text = String(decoding: try await socket.blocking { try $0.readToEnd() }, as: UTF8.self)
            let answer = Answer(text)
            #expect(answer.status == 400, "\(garbage.debugDescription): \(text)")
            #expect(answer.head.contains("content-type: application/json") && answer.head.contains("connection: close"))
            #expect(answer.json?["error"]?.stringValue?.hasPrefix("malformed HTTP request") == true, "\(text)")
        }
        // The server is still serving.
        #expect(try await Self.request(server.port, "GET", "/healthz").status == 200)
    }

    @Test func anUnknownControlRouteGets404NamingThePath() async throws {
        let server = try await TestServer.start()
        let answer = try await Self.request(server.port, "GET", "/api/control/nothing-here")
        #expect(answer.status == 404 && answer.head.contains("content-type: application/json"))
        #expect(answer.json == ["error": "unknown control route: GET /api/control/nothing-here"])
        let outside = try await Self.request(server.port, "GET", "/no/such/page")
        #expect(outside.status == 404 && outside.json == ["error": "unknown route: GET /no/such/page"])
    }

    @Test func aKnownControlPathWithAnotherMethodGets405() async throws {
        let server = try await TestServer.start()
        let answer = try await Self.request(server.port, "PATCH", "/api/control/sessions/abc")
        #expect(answer.status == 405 && answer.head.contains("allow: delete, get"))
        #expect(answer.json?["error"]?.stringValue?.hasPrefix("method PATCH not allowed on /api/control/sessions/abc") == true)
    }

    /// MultipartKit traps on such a byte (found by `fuzz-http`): the whole server went down.
    @Test func aMultipartPartWithANonASCIIHeaderNameGets400AndTheServerStaysUp() async throws {
        let server = try await TestServer.start()
        let body: [UInt8] = Array("--x\r\nCon".utf8) + [0xff] + Array("tent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{}\r\n--x--\r\n".utf8)
        let socket = try RawSocket(port: server.port)
        try socket.send("POST /api/v10/channels/1100000000000000101/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bot t\r\n"
            + "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: \(body.count)\r\n\r\n")
        try socket.send(bytes: body)
        let answer = Answer(try await socket.blocking { try $0.readHTTPResponse() })
        #expect(answer.status == 400 && answer.json?["code"] == 50035, "\(answer.head) \(String(describing: answer.json))")
        #expect(try await Self.request(server.port, "GET", "/healthz").status == 200)
    }

    @Test func anUnknownRESTRouteGetsDiscords404() async throws {
        let server = try await TestServer.start()
        let answer = try await Self.request(server.port, "GET", "/api/v10/no/such/route")
        #expect(answer.status == 404 && answer.head.contains("content-type: application/json"))
        #expect(answer.json == ["message": "404: Not Found", "code": 0])
    }
}
