import GatewayModel
import GatewayServer
import GatewayTestClient
import GatewayWorld
import Synchronization
import Testing

/// The REST layer's seam for answers from elsewhere (a replay's recording): over real HTTP, a
/// responder's reply replaces the world's, its events reach the bot and the world, and a call it
/// declines goes to the world.
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct RESTResponderTests {
    /// Answers `POST .../messages` with `content: "canned"` (and its MESSAGE_CREATE), `POST .../typing`
    /// with a 429 without headers, `DELETE` of a message with given headers; declines the rest.
    final class Canned: RESTResponder {
        let seen = Mutex<[String]>([])

        func answer(_ call: RESTCall) -> RESTReply? {
            seen.withLock { $0.append(call.match.route.name) }
            switch call.match.route {
            case .createMessage where call.body["content"] == "canned":
                let message: JSONValue = [
                    "id": "2000000000000000001", "channel_id": .string(RESTWorldTests.general), "guild_id": "1099511627776000000",
                    "content": "canned", "author": ["id": "1000000000000000001", "username": "mockbot"],
                ]
                return RESTReply(status: 200, body: message, events: [WorldEvent(name: "MESSAGE_CREATE", data: message, guildID: 1_099_511_627_776_000_000)])
            case .triggerTyping:
                return RESTReply(status: 429, body: ["message": "You are being rate limited.", "retry_after": .double(0.25), "global": false])
            case .deleteMessage:
                return RESTReply(status: 204, body: nil, headers: [("X-RateLimit-Remaining", "3"), ("Via", "1.1 google")])
            default:
                return nil
            }
        }
    }

    @Test func repliesReplaceTheWorldsAndTheirEventsReachBotAndWorld() async throws {
        let canned = Canned()
        var configuration = GatewayServerConfiguration()
        configuration.restResponder = canned
        let server = try await TestServer.start(configuration)
        let (client, _) = try await server.identify(token: "bot-token")
        let messages = "/api/v10/channels/\(RESTWorldTests.general)/messages"

        let sent = try await RESTWorldTests.call(server.port, "POST", messages, ["content": "canned"])
        #expect(sent.status == 200 && sent.json?["id"] == "2000000000000000001")
        #expect(sent.headers["x-ratelimit-bucket"] != nil, "no headers given: the usual rate-limit headers")
        let event = try await client.nextDispatch("MESSAGE_CREATE")
        #expect(event["d"]?["id"] == "2000000000000000001")
        // The world took the message in: the declined GET finds it.
        let fetched = try await RESTWorldTests.call(server.port, "GET", messages + "/2000000000000000001")
        #expect(fetched.status == 200 && fetched.json?["content"] == "canned")
        // Declined: the world answers with its own id.
        let other = try await RESTWorldTests.call(server.port, "POST", messages, ["content": "not canned"])
        #expect(other.status == 200 && other.json?["id"] != "2000000000000000001")

        let limited = try await RESTWorldTests.call(server.port, "POST", "/api/v10/channels/\(RESTWorldTests.general)/typing")
        #expect(limited.status == 429 && limited.headers["retry-after"] == "1" && limited.headers["x-ratelimit-reset-after"] == "0.250")
        #expect(limited.headers["via"] == "1.1 google")
        let deleted = try await RESTWorldTests.call(server.port, "DELETE", messages + "/2000000000000000001")
        #expect(deleted.status == 204 && deleted.headers["x-ratelimit-remaining"] == "3" && deleted.headers["x-ratelimit-bucket"] == nil)
        // Startup calls reach it too (declining them is the responder's choice).
        _ = try await RESTWorldTests.call(server.port, "GET", "/api/v10/users/@me")
        #expect(canned.seen.withLock { $0 }.contains("GET /users/@me"))
    }
}
