import GatewayWorld
import Testing

@Suite("REST routes")
struct RouteTests {
    @Test("paths match their templates; literals win over parameters; prefixes and percent-escapes are removed")
    func matching() throws {
        func route(_ method: String, _ path: String) -> String? { RESTRoute.name(method: method, path: path) }
        #expect(route("POST", "/api/v10/channels/1/messages") == "POST /channels/{channel.id}/messages")
        #expect(route("GET", "/api/v9/channels/1/messages/pins") == "GET /channels/{channel.id}/messages/pins")
        #expect(route("GET", "/api/channels/1/messages/2") == "GET /channels/{channel.id}/messages/{message.id}")
        #expect(route("GET", "/api/v10/users/@me") == "GET /users/@me")
        #expect(route("GET", "/api/v10/users/5") == "GET /users/{user.id}")
        #expect(route("PATCH", "/api/v10/webhooks/1/tok/messages/@original") == "PATCH /webhooks/{application.id}/{interaction.token}/messages/@original")
        #expect(route("GET", "/api/v10/nothing/here") == nil)
        guard case .success(let match) = RESTRoute.match(method: "PUT", path: "/api/v10/channels/1/messages/2/reactions/%F0%9F%91%8D/@me?x=1") else {
            Issue.record("no match"); return
        }
        #expect(match["emoji"] == "👍")
        #expect(RESTRoute.match(method: "PATCH", path: "/api/v10/users/@me/channels") == .failure(.methodNotAllowed))
    }

    @Test("segments: the prefix, empty segments and the query are dropped")
    func segments() {
        #expect(RESTRoute.pathSegments("/api/v10/channels//1/messages/?limit=5") == ["channels", "1", "messages"])
        #expect(RESTRoute.pathSegments("/api/channels/1") == ["channels", "1"])
        #expect(RESTRoute.pathSegments("/api/v/x") == ["v", "x"])
        #expect(RESTRoute.pathSegments("/api") == [])
        #expect(RESTRoute.pathSegments("channels/a%20b?x=/y") == ["channels", "a b"])
        let match = try? RESTRoute.match(method: "post", path: "/api/v10/channels/1/messages").get()
        #expect(match?.route == .createMessage && match?.parameters == ["channel.id": "1"])
    }

    @Test("the routes authorised by their interaction token are those under /interactions and /webhooks")
    func interactionTokenRoutes() {
        for route in RESTRoute.allCases {
            #expect(route.usesInteractionToken == (route.template.hasPrefix("/interactions/") || route.template.hasPrefix("/webhooks/")), "\(route)")
        }
    }
}
