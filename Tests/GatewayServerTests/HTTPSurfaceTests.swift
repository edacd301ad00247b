import Foundation
import GatewayModel
import GatewayServer
import GatewayTestClient
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// SPEC §4 and §5 over real HTTP: the REST subset and every control API call.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct HTTPSurfaceTests {
    struct Reply {
        let status: Int
        let contentType: String?
        let json: JSONValue?
    }

    static func call(_ port: Int, _ method: String, _ path: String, _ body: JSONValue? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.jsonBytes) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return Reply(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), json: try? JSONValue(parsing: [UInt8](data)))
    }

    @Test(arguments: ["/api/v10", "/api/v9", "/api"])
    func restSubsetAnswersWithDiscordShapes(prefix: String) async throws {
        let server = try await TestServer.start()
        let bot = ["Authorization": "Bot any-token"]
        let gateway = try await Self.call(server.port, "GET", prefix + "/gateway")
        #expect(gateway.status == 200 && gateway.contentType == "application/json")
        #expect(gateway.json == ["url": .string("ws://127.0.0.1:\(server.port)")])
        let gatewayBot = try await Self.call(server.port, "GET", prefix + "/gateway/bot", headers: bot)
        #expect(gatewayBot.json?["shards"] == 1 && gatewayBot.json?["session_start_limit"]?["max_concurrency"] == 1)
        let me = try await Self.call(server.port, "GET", prefix + "/users/@me", headers: bot)
        #expect(me.json?["id"] == "1000000000000000001" && me.json?["bot"] == true && me.json?["locale"] == "en-US")
        for path in ["/oauth2/applications/@me", "/applications/@me"] {
            let app = try await Self.call(server.port, "GET", prefix + path, headers: bot)
            #expect(app.json?["verify_key"]?.stringValue?.count == 64 && app.json?["owner"]?["id"] == "1000000000000000001")
        }
        #expect(try await Self.call(server.port, "GET", prefix + "/applications/1/commands", headers: bot).json == [])
        let put = try await Self.call(server.port, "PUT", prefix + "/applications/1/commands", [["name": "ping", "description": "Ping"]], headers: bot)
        #expect(put.json?.arrayValue?.first?["name"] == "ping" && put.json?.arrayValue?.first?["id"]?.snowflake != nil)
        #expect(try await Self.call(server.port, "GET", prefix + "/applications/1/commands", headers: bot).json == put.json)
        #expect(try await Self.call(server.port, "GET", prefix + "/soundboard-default-sounds", headers: bot).json == [])
        let unknown = try await Self.call(server.port, "GET", prefix + "/no/such/route", headers: bot)
        #expect(unknown.status == 404 && unknown.json == ["message": "404: Not Found", "code": 0] && unknown.contentType == "application/json")
        let noToken = try await Self.call(server.port, "GET", prefix + "/users/@me")
        #expect(noToken.status == 401 && noToken.json == ["message": "401: Unauthorized", "code": 0])
    }

    @Test func strictTokensNeedABotAuthorization() async throws {
        let server = try await TestServer.start(.init(strictTokens: true))
        #expect(try await Self.call(server.port, "GET", "/api/v10/users/@me").status == 401)
        #expect(try await Self.call(server.port, "GET", "/api/v10/users/@me", headers: ["Authorization": "Bot nope"]).status == 401)
        let session = try server.server.createSession()
        let ok = try await Self.call(server.port, "GET", "/api/v10/users/@me", headers: ["Authorization": "Bot " + session.token])
        #expect(ok.status == 200 && ok.json?["username"] == "mockbot")
    }

    @Test func controlAPISessionLifecycle() async throws {
        let server = try await TestServer.start()
        let port = server.port
        #expect(try await Self.call(port, "GET", "/healthz").status == 200)
        let created = try await Self.call(port, "POST", "/api/control/sessions", ["name": "bot-a"])
        #expect(created.status == 201)
        let id = try #require(created.json?["id"]?.stringValue)
        let token = try #require(created.json?["token"]?.stringValue)
        #expect(try await Self.call(port, "GET", "/api/control/sessions").json == [["id": .string(id), "name": "bot-a", "connections": 0]])

        let (client, ready) = try await server.identify(token: token, query: "v=10&encoding=json&compress=zlib-stream")
        let shown = try await Self.call(port, "GET", "/api/control/sessions/\(id)")
        let connection = try #require(shown.json?["connections"]?.arrayValue?.first)
        #expect(connection["gateway_session_id"] == ready["d"]?["session_id"])
        #expect(connection["identified"] == true && connection["open"] == true && connection["compress"] == "zlib-stream")
        #expect(connection["query"] == "v=10&encoding=json&compress=zlib-stream" && connection["seq"] == 3)
        #expect(shown.json?["flags"] == [:])

        let dispatched = try await Self.call(port, "POST", "/api/control/sessions/\(id)/dispatch", [
            "event": "MESSAGE_CREATE", "data": DispatchRoutingTests.message(content: "!ping"),
        ])
        #expect(dispatched.json == ["delivered": 1])
        #expect(try await client.nextDispatch("MESSAGE_CREATE")["d"]?["content"] == "!ping")

        #expect(try await Self.call(port, "GET", "/api/control/sessions/\(id)/flags").status == 404)
        #expect(try await Self.call(port, "POST", "/api/control/sessions/\(id)/heartbeat/stop-acks").json == ["stop_acks": true, "session_id": .string(id)])
        #expect(try await Self.call(port, "GET", "/api/control/sessions/\(id)/flags").json == ["stop_acks": true])
        #expect(try await Self.call(port, "DELETE", "/api/control/sessions/\(id)/flags").status == 200)
        #expect(try await Self.call(port, "GET", "/api/control/sessions/\(id)/flags").status == 404)

        #expect(try await Self.call(port, "POST", "/api/control/sessions/\(id)/reconnect").json == ["sent": 1])
        #expect(try await client.next()["op"] == 7)
        #expect(try await Self.call(port, "POST", "/api/control/sessions/\(id)/invalid-session", ["resumable": true]).json == ["sent": 1])
        #expect(try await client.next() == ["op": 9, "d": true, "s": nil, "t": nil])
        #expect(try await Self.call(port, "POST", "/api/control/sessions/\(id)/heartbeat/request").json == ["sent": 1])
        #expect(try await client.next()["op"] == 1)
        #expect(try await Self.call(port, "POST", "/api/control/sessions/\(id)/invalidate").json == ["invalidated": true])
        #expect(try await Self.call(port, "GET", "/api/control/connections").json == ["count": 1])
        #expect(try await Self.call(port, "POST", "/api/control/sessions/\(id)/disconnect", ["code": 4000, "reason": "bye"]).json == ["disconnected": 1])
        #expect(try await client.ending() == .closed(code: 4000, reason: "bye"))
        #expect(try await Self.call(port, "DELETE", "/api/control/sessions/\(id)").status == 200)
        #expect(try await Self.call(port, "GET", "/api/control/sessions/\(id)").status == 404)
    }

    @Test func dropAndHeartbeatIntervalOverHTTP() async throws {
        let server = try await TestServer.start()
        let port = server.port
        let created = try await Self.call(port, "POST", "/api/control/sessions", ["token": "given.token.x"])
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(created.json?["token"] == "given.token.x")
        let (client, _) = try await server.identify(token: "given.token.x", intents: 0)
        #expect(try await Self.call(port, "POST", "/api/control/sessions/\(id)/drop").json == ["dropped": 1])
        #expect(try await client.ending() == .dropped)
        #expect(try await Self.call(port, "GET", "/api/control/heartbeat-interval").json == ["interval": 41250])
        #expect(try await Self.call(port, "PUT", "/api/control/heartbeat-interval", ["interval": 2000]).json == ["interval": 2000])
        let next = try await server.connect()
        #expect(try await next.next()["d"]?["heartbeat_interval"] == 2000)
    }

    @Test func badInputGets4xxNamingTheField() async throws {
        let server = try await TestServer.start()
        let port = server.port
        let id = try #require(try await Self.call(port, "POST", "/api/control/sessions").json?["id"]?.stringValue)
        let cases: [(String, String, JSONValue?, Int, String)] = [
            ("POST", "/api/control/sessions/\(id)/dispatch", ["data": [:]], 400, "event"),
            ("POST", "/api/control/sessions/\(id)/dispatch", ["event": "X"], 400, "data"),
            ("POST", "/api/control/sessions/\(id)/dispatch", ["event": "X", "data": [:], "guild_id": "abc"], 400, "guild_id"),
            ("POST", "/api/control/sessions/\(id)/disconnect", ["code": "4000"], 400, "code"),
            ("POST", "/api/control/sessions/\(id)/disconnect", [:], 400, "code"),
            ("POST", "/api/control/sessions/\(id)/invalid-session", [:], 400, "resumable"),
            ("POST", "/api/control/sessions/\(id)/heartbeat/stop-acks", ["stop": "yes"], 400, "stop"),
            ("PUT", "/api/control/heartbeat-interval", ["interval": -5], 400, "interval"),
            ("POST", "/api/control/sessions", ["name": 5], 400, "name"),
            ("POST", "/api/control/sessions", ["fixture": ["guilds": [["name": "no id"]]]], 400, "fixture.guilds[0].id"),
            ("POST", "/api/control/sessions/nope/dispatch", ["event": "X", "data": [:]], 404, "nope"),
        ]
        for (method, path, body, status, field) in cases {
            let reply = try await Self.call(port, method, path, body)
            #expect(reply.status == status, "\(method) \(path)")
            #expect(reply.json?["error"]?.stringValue?.contains(field) == true, "\(method) \(path): \(String(describing: reply.json))")
        }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/control/sessions")!)
        request.httpMethod = "POST"
        request.httpBody = Data("{not json".utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 400)
        #expect(String(decoding: data, as: UTF8.self).contains("body"))
    }

    @Test func controlTokenIsRequiredWhenSet() async throws {
        let server = try await TestServer.start(.init(controlToken: "s3cret"))
        let denied = try await Self.call(server.port, "GET", "/api/control/sessions")
        #expect(denied.status == 401 && denied.json?["error"]?.stringValue?.contains("Authorization") == true)
        #expect(try await Self.call(server.port, "GET", "/api/control/sessions", headers: ["Authorization": "Bearer s3cret"]).status == 200)
    }

    @Test func sessionCreatedWithItsOwnFixture() async throws {
        let server = try await TestServer.start()
        let fixture: JSONValue = ["user": ["id": "42", "username": "otherbot"], "guilds": [["id": "1099511627776000000", "name": "Custom"]]]
        let created = try await Self.call(server.port, "POST", "/api/control/sessions", ["fixture": fixture])
        let token = try #require(created.json?["token"]?.stringValue)
        let (client, ready) = try await server.identify(token: token)
        #expect(ready["d"]?["user"]?["username"] == "otherbot")
        #expect(try await client.nextDispatch("GUILD_CREATE")["d"]?["name"] == "Custom")
    }
}

/// Collects what a server reports, in memory.
final class MemorySink: RecordingSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [RecordEvent] = []
    func record(_ event: RecordEvent) { lock.lock(); stored.append(event); lock.unlock() }
    var events: [RecordEvent] { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite(.stopsServers) struct RESTRecordingTests {
    @Test func unknownRoutesAreRecordedWithTheirBodyAndRedactedAuthorization() async throws {
        let sink = MemorySink()
        let server = try await TestServer.start(.init(recordingSink: sink))
        let reply = try await HTTPSurfaceTests.call(server.port, "POST", "/api/v10/channels/5/messages", ["content": "pong"], headers: ["Authorization": "Bot secret-token"])
        #expect(reply.status == 404)
        let calls = sink.events.compactMap { event -> HTTPRecord? in if case .http(let call) = event { call } else { nil } }
        let call = try #require(calls.first)
        #expect(call.method == "POST" && call.path == "/api/v10/channels/5/messages" && call.status == 404)
        let request = try JSONValue(parsing: call.request)
        #expect(request["body"] == ["content": "pong"])
        #expect(request["headers"]?["authorization"]?.stringValue?.hasPrefix("Bot redacted:") == true)
        #expect(!call.request.contains("secret-token"))
    }
}
