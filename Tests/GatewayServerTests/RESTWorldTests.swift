import Foundation
import GatewayModel
import GatewayServer
import GatewayTestClient
import GatewayWorld
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// SPEC §4 over real HTTP against a live server: the bot's actions change the world, come back over
/// the gateway, are logged for the control API, and faults replace answers.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct RESTWorldTests {
    static let general = "1100000000000000101"
    static let guildTwoGeneral = "1100000000000000301"

    struct Reply {
        let status: Int
        let headers: [String: String]
        let json: JSONValue?
    }

    static func call(_ port: Int, _ method: String, _ path: String, _ body: JSONValue? = nil, token: String? = "bot-token",
        contentType: String = "application/json", rawBody: Data? = nil) async throws -> Reply
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.jsonBytes); request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let rawBody { request.httpBody = rawBody; request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bot " + token, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields { headers[String(describing: name).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: headers, json: data.isEmpty ? nil : try? JSONValue(parsing: [UInt8](data)))
    }

    static func control(_ port: Int, _ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> Reply {
        try await call(port, method, "/api/control" + path, body, token: nil)
    }

    @Test func aMessageTheBotSendsComesBackAsMessageCreateAndIsLogged() async throws {
        let server = try await TestServer.start()
        let (client, _) = try await server.identify(token: "bot-token")
        let sent = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", ["content": "pong", "nonce": "n1"])
        #expect(sent.status == 200)
        #expect(sent.headers["content-type"] == "application/json")
        #expect(sent.headers["via"] == "1.1 google")
        for header in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-reset-after", "x-ratelimit-bucket"] {
            #expect(sent.headers[header] != nil, "missing \(header)")
        }
        #expect(sent.headers["connection"]?.lowercased() != "close")
        let id = try #require(sent.json?["id"]?.stringValue)
        let event = try await client.nextDispatch("MESSAGE_CREATE")
        #expect(event["d"]?["id"] == .string(id))
        #expect(event["d"]?["author"]?["id"] == "1000000000000000001")
        #expect(event["d"]?["guild_id"] == "1099511627776000000")
        #expect(event["d"]?["nonce"] == "n1")

        let fetched = try await Self.call(server.port, "GET", "/api/v10/channels/\(Self.general)/messages/\(id)")
        #expect(fetched.json?["content"] == "pong")
        let session = try #require(server.server.sessions().first?.id)
        let actions = try await Self.control(server.port, "GET", "/sessions/\(session)/actions?route=POST%20/channels/%7Bchannel.id%7D/messages")
        #expect(actions.json?.arrayValue?.count == 1)
        #expect(actions.json?.arrayValue?.first?["request"]?["content"] == "pong")
        #expect(actions.json?.arrayValue?.first?["response"]?["id"] == .string(id))
        let messages = try await Self.control(server.port, "GET", "/sessions/\(session)/channels/\(Self.general)/messages")
        #expect(messages.json?.arrayValue?.first?["id"] == .string(id))
    }

    @Test func errorsHaveDiscordsCodesAndNestedErrors() async throws {
        let server = try await TestServer.start()
        let empty = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", ["content": ""])
        #expect(empty.status == 400 && empty.json?["code"] == 50006)
        let long = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", ["content": .string(String(repeating: "a", count: 2_001))])
        #expect(long.status == 400 && long.json?["code"] == 50035)
        #expect(long.json?["errors"]?["content"]?["_errors"]?.arrayValue?.first?["code"] == "BASE_TYPE_MAX_LENGTH")
        let unknown = try await Self.call(server.port, "GET", "/api/v10/channels/123/messages/456")
        #expect(unknown.status == 404 && unknown.json?["code"] == 10003)
        let badJSON = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", rawBody: Data("{".utf8))
        #expect(badJSON.status == 400 && badJSON.json?["code"] != nil)
        let reaction = try await Self.call(server.port, "PUT", "/api/v10/channels/\(Self.general)/messages/1/reactions/%F0%9F%91%8D/@me")
        #expect(reaction.status == 404 && reaction.json?["code"] == 10008)
    }

    @Test func multipartWithAFile() async throws {
        let server = try await TestServer.start()
        let boundary = "gatewaytape-test-boundary"
        var body = Data()
        func part(_ headers: String, _ content: String) {
            body.append(Data("--\(boundary)\r\n\(headers)\r\n\r\n\(content)\r\n".utf8))
        }
        part("Content-Disposition: form-data; name=\"payload_json\"\r\nContent-Type: application/json",
             #"{"content":"see file","attachments":[{"id":0,"filename":"log.txt","description":"the log"}]}"#)
        part("Content-Disposition: form-data; name=\"files[0]\"; filename=\"log.txt\"\r\nContent-Type: text/plain", "hello world")
        body.append(Data("--\(boundary)--\r\n".utf8))
        let sent = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages",
            contentType: "multipart/form-data; boundary=\(boundary)", rawBody: body)
        #expect(sent.status == 200)
        #expect(sent.json?["content"] == "see file")
        let attachment = sent.json?["attachments"]?.arrayValue?.first
        #expect(attachment?["filename"] == "log.txt" && attachment?["size"] == 11 && attachment?["description"] == "the log")
        let session = try #require(server.server.sessions().first?.id)
        let actions = await server.server.actions(session)
        #expect(actions.first?.request?["content"] == "see file")
    }

    @Test func eventsFollowIntentsAndShards() async throws {
        let server = try await TestServer.start()
        let guildMessages: Int64 = 1 << 9
        let (shard0, _) = try await server.identify(token: "bot-token", intents: allIntents, shard: [0, 2])
        let (shard1, _) = try await server.identify(token: "bot-token", intents: allIntents, shard: [1, 2])
        // A message in guild two (shard 1 of 2) reaches only shard 1.
        let sent = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.guildTwoGeneral)/messages", ["content": "to shard one"])
        let event = try await shard1.nextDispatch("MESSAGE_CREATE")
        #expect(event["d"]?["id"] == sent.json?["id"])
        // Without GUILD_MESSAGES a connection gets no guild MESSAGE_CREATE; the typing event still follows its own intent.
        let (quiet, _) = try await server.identify(token: "other-token", intents: allIntents & ~guildMessages)
        _ = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", ["content": "unheard"], token: "other-token")
        _ = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/typing", token: "other-token")
        var seen: [String] = []
        while seen.last != "TYPING_START" { seen.append(try await quiet.next()["t"]?.stringValue ?? "") }
        #expect(!seen.contains("MESSAGE_CREATE"))
        // The guild-two message never reached shard 0: its next MESSAGE_CREATE is guild one's.
        _ = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", ["content": "to shard zero"])
        let zero = try await shard0.nextDispatch("MESSAGE_CREATE")
        #expect(zero["d"]?["content"] == "to shard zero")
    }

    @Test func interactionsThroughTheControlAPI() async throws {
        let server = try await TestServer.start()
        let created = try await Self.control(server.port, "POST", "/sessions", ["name": "bot"])
        let session = try #require(created.json?["id"]?.stringValue)
        let token = try #require(created.json?["token"]?.stringValue)
        let (client, _) = try await server.identify(token: token)
        let made = try await Self.control(server.port, "POST", "/sessions/\(session)/interactions", ["data": ["name": "ping"]])
        #expect(made.status == 201 && made.json?["delivered"] == 1)
        let id = try #require(made.json?["id"]?.stringValue)
        let interactionToken = try #require(made.json?["token"]?.stringValue)
        let event = try await client.nextDispatch("INTERACTION_CREATE")
        #expect(event["d"]?["id"] == .string(id) && event["d"]?["data"]?["name"] == "ping")
        let pending = try await Self.control(server.port, "GET", "/sessions/\(session)/interactions/\(id)")
        #expect(pending.json?["state"] == "pending")

        async let waited = Self.control(server.port, "GET", "/sessions/\(session)/interactions/\(id)?wait=5000")
        try await Task.sleep(for: .milliseconds(100))
        let answered = try await Self.call(server.port, "POST", "/api/v10/interactions/\(id)/\(interactionToken)/callback?with_response=true",
            ["type": 4, "data": ["content": "pong"]], token: nil)
        #expect(answered.status == 200 && answered.json?["interaction"]?["id"] == .string(id))
        #expect(answered.headers["x-ratelimit-bucket"] == nil && answered.headers["via"] == "1.1 google")
        let state = try await waited
        #expect(state.json?["state"] == "responded" && state.json?["original_message"]?["content"] == "pong")
        let again = try await Self.call(server.port, "POST", "/api/v10/interactions/\(id)/\(interactionToken)/callback", ["type": 4, "data": ["content": "x"]], token: nil)
        #expect(again.status == 400 && again.json?["code"] == 40060)
        let original = try await Self.call(server.port, "GET", "/api/v10/webhooks/1000000000000000001/\(interactionToken)/messages/@original", token: nil)
        #expect(original.json?["content"] == "pong" && original.json?["interaction_metadata"]?["id"] == .string(id))
        let bad = try await Self.control(server.port, "POST", "/sessions/\(session)/interactions", ["data": ["type": 1]])
        #expect(bad.status == 400 && bad.json?["error"]?.stringValue?.hasPrefix("data.name") == true)
    }

    @Test func restFaultsReplaceAnswers() async throws {
        let server = try await TestServer.start()
        _ = try await Self.call(server.port, "GET", "/api/v10/users/@me")
        let session = try #require(server.server.sessions().first?.id)
        let armed = try await Self.control(server.port, "POST", "/sessions/\(session)/rest-faults",
            ["method": "POST", "route": "/channels/{channel.id}/messages", "status": 429, "retry_after": .double(0.5)])
        #expect(armed.status == 201)
        let limited = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", ["content": "a"])
        #expect(limited.status == 429)
        #expect(limited.json == ["message": "You are being rate limited.", "retry_after": .double(0.5), "global": false])
        #expect(limited.headers["x-ratelimit-remaining"] == "0" && limited.headers["x-ratelimit-limit"] == "1")
        #expect(limited.headers["x-ratelimit-reset-after"] == "0.500" && limited.headers["x-ratelimit-scope"] == "user")
        #expect(limited.headers["retry-after"] == "1" && limited.headers["via"] == "1.1 google")
        let ok = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/messages", ["content": "a"])
        #expect(ok.status == 200)

        _ = try await Self.control(server.port, "POST", "/sessions/\(session)/rest-faults", ["route": "/channels/*/typing", "status": 500, "count": 2])
        #expect(try await Self.control(server.port, "GET", "/sessions/\(session)/rest-faults").json?.arrayValue?.count == 1)
        #expect(try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/typing").status == 500)
        #expect(try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/typing").status == 500)
        #expect(try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/typing").status == 204)
        let bad = try await Self.control(server.port, "POST", "/sessions/\(session)/rest-faults", ["status": "429"])
        #expect(bad.status == 400 && bad.json?["error"]?.stringValue?.hasPrefix("status:") == true)
        let log = await server.server.actions(session, route: "POST /channels/{channel.id}/messages")
        #expect(log.map(\.status) == [429, 200])
    }

    @Test func actionsWaitForTheBotsCall() async throws {
        let server = try await TestServer.start()
        _ = try await Self.call(server.port, "GET", "/api/v10/users/@me")
        let session = try #require(server.server.sessions().first?.id)
        let start = ContinuousClock.now
        async let waited = Self.control(server.port, "GET", "/sessions/\(session)/actions?after=1&method=POST&wait=5000")
        try await Task.sleep(for: .milliseconds(200))
        _ = try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/typing")
        let result = try await waited
        #expect(result.json?.arrayValue?.count == 1 && result.json?.arrayValue?.first?["route"] == "POST /channels/{channel.id}/typing")
        #expect(ContinuousClock.now - start < .seconds(4))
        let none = try await Self.control(server.port, "GET", "/sessions/\(session)/actions?after=99&wait=100")
        #expect(none.json == [])
    }

    @Test func theSwiftAPIHasTheSameOperations() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession(name: "swift")
        let (client, _) = try await server.identify(token: session.token)
        let created = try server.server.createInteraction(session.id, request: ["data": ["name": "ping"]])
        #expect(created.delivered == 1)
        _ = try await client.nextDispatch("INTERACTION_CREATE")
        #expect(await server.server.interaction(session.id, id: created.id)?["state"] == "pending")
        #expect(throws: InteractionRequestError.self) { try server.server.createInteraction(session.id, request: ["data": [:]]) }

        let faultID = server.server.addRESTFault(session.id, RESTFault(route: "/channels/*/typing", status: 503, count: 2))
        #expect(faultID != nil && server.server.restFaults(session.id).first?.status == 503)
        #expect(try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/typing", token: session.token).status == 503)
        server.server.clearRESTFaults(session.id)
        #expect(server.server.restFaults(session.id).isEmpty)
        #expect(try await Self.call(server.port, "POST", "/api/v10/channels/\(Self.general)/typing", token: session.token).status == 204)

        async let answered = server.server.interaction(session.id, id: created.id, waitMilliseconds: 5_000)
        _ = try await Self.call(server.port, "POST", "/api/v10/interactions/\(created.id)/\(created.token)/callback", ["type": 5], token: nil)
        #expect(await answered?["state"] == "deferred")
        let actions = await server.server.actions(session.id, method: "POST")
        #expect(actions.map(\.status) == [503, 204, 204])
        #expect(actions.map(\.route) == ["POST /channels/{channel.id}/typing", "POST /channels/{channel.id}/typing",
            "POST /interactions/{interaction.id}/{interaction.token}/callback"])
        #expect(server.server.channelMessages(session.id, channelID: Self.general)?.arrayValue?.first?["flags"] == 128)
        #expect(server.server.channelMessages(session.id, channelID: "42") == nil)
    }

    @Test func pipelinedRequestsAreAnsweredInOrderAndConnectionCloseIsHonoured() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession(name: "pipeline")
        let socket = try RawSocket(port: server.port)
        let host = "Host: 127.0.0.1:\(server.port)\r\n"
        let body = #"{"content":"one"}"#
        // REST, control API, REST (the last with `Connection: close`) in one write: answered in that order.
        try socket.send("POST /api/v10/channels/\(Self.general)/messages HTTP/1.1\r\n\(host)Authorization: Bot \(session.token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            + "GET /api/control/sessions HTTP/1.1\r\n\(host)\r\n"
            + "GET /api/v10/users/@me HTTP/1.1\r\n\(host)Authorization: Bot \(session.token)\r\nConnection: close\r\n\r\n")
        let first = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(first.hasPrefix("HTTP/1.1 200") && first.contains(#""content":"one""#))
        #expect(first.contains("Date: ") && first.contains("Content-Type: application/json") && first.contains("X-RateLimit-Bucket: "))
        let second = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(second.hasPrefix("HTTP/1.1 200") && second.contains(#""name":"pipeline""#))
        let third = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(third.hasPrefix("HTTP/1.1 200") && third.contains(#""username":"#) && third.lowercased().contains("connection: close"))
        // Then the server closes the connection.
        await #expect(throws: (any Error).self) { try await socket.blocking { try $0.read(atLeast: 1) } }
    }

    @Test func aNoContentAnswerHasNoContentLength() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession(name: "typing")
        let socket = try RawSocket(port: server.port)
        try socket.send("POST /api/v10/channels/\(Self.general)/typing HTTP/1.1\r\nHost: x\r\nAuthorization: Bot \(session.token)\r\n\r\n")
        let answer = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(answer.hasPrefix("HTTP/1.1 204") && !answer.lowercased().contains("content-length") && answer.contains("X-RateLimit-Bucket: "))
    }

    @Test func aRequestFollowedByAHalfCloseIsStillAnswered() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession(name: "half-close")
        let body = #"{"content":"then EOF"}"#
        // Whether the end of input overtakes the answer is a race: tried on several connections.
        for _ in 0..<20 {
            let socket = try RawSocket(port: server.port)
            try socket.send("POST /api/v10/channels/\(Self.general)/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bot \(session.token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            socket.shutdownWrite()
            let answer = try await socket.blocking { try $0.readHTTPResponse() }
            #expect(answer.hasPrefix("HTTP/1.1 200") && answer.contains(#""content":"then EOF""#))
        }
    }

    @Test func anHTTP10RequestIsAnsweredAndClosed() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        try socket.send("GET /api/v10/gateway HTTP/1.0\r\nHost: 127.0.0.1:\(server.port)\r\n\r\n")
        let answer = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(answer.hasPrefix("HTTP/1.0 200") && answer.contains(#""url":"ws://127.0.0.1:"#))
        await #expect(throws: (any Error).self) { try await socket.blocking { try $0.read(atLeast: 1) } }
    }

    @Test func aBodyOverThirtyTwoMebibytesIs413AndTheConnectionStaysUsable() async throws {
        let server = try await TestServer.start()
        let session = try server.server.createSession(name: "large")
        let socket = try RawSocket(port: server.port)
        let size = (32 << 20) + 1
        try socket.send("POST /api/v10/channels/\(Self.general)/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bot \(session.token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(size)\r\n\r\n")
        let chunk = String(repeating: " ", count: 1 << 20)
        try await socket.blocking { socket in
            for _ in 0..<32 { try socket.send(chunk) }
            try socket.send(" GET /api/v10/users/@me HTTP/1.1\r\nHost: x\r\nAuthorization: Bot \(session.token)\r\n\r\n")
        }
        let tooLarge = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(tooLarge.hasPrefix("HTTP/1.1 413") && tooLarge.contains(#""code":40005"#))
        let next = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(next.hasPrefix("HTTP/1.1 200") && next.contains(#""username":"#))
    }

    @Test func aKeepAliveRESTConnectionCanBeUpgradedToTheGateway() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        try socket.send("GET /api/v10/gateway HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n\r\n")
        let first = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(first.hasPrefix("HTTP/1.1 200"))
        #expect(!first.lowercased().contains("connection: close"))
        try socket.send("GET /?v=10&encoding=json HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let upgrade = try await socket.blocking { try $0.readHTTPResponse() }
        #expect(upgrade.hasPrefix("HTTP/1.1 101"))
        #expect(upgrade.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        let frame = try await socket.blocking { try $0.read(atLeast: 2) }
        #expect(frame.first == 0x81)
        let text = String(decoding: frame.dropFirst(frame[1] == 126 ? 4 : 2), as: UTF8.self)
        #expect(text.contains("\"op\":10"))
        // The upgraded connection is a gateway connection like any other: closing the server sends it 1001.
        await server.server.close()
        let close = try await socket.blocking { try $0.read(atLeast: 4) }
        #expect(close.first == 0x88 && Array(close[2...3]) == [0x03, 0xE9])
    }
}
