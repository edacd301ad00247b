import GatewayModel
import GatewayWorld
import Testing

@Suite("World: interactions")
struct InteractionRulesTests {
    func create(_ world: World, _ name: String = "ping") throws -> Interaction {
        try world.createInteraction(["data": ["name": .string(name)]]).interaction
    }

    @Test("INTERACTION_CREATE carries everything the libraries need")
    func payload() throws {
        let world = makeWorld()
        let (interaction, event) = try world.createInteraction(["data": ["name": "ping"]])
        #expect(event.name == "INTERACTION_CREATE")
        let d = event.data
        for key in ["id", "application_id", "type", "data", "guild_id", "guild", "channel", "channel_id", "member", "token", "version",
            "app_permissions", "locale", "guild_locale", "entitlements", "authorizing_integration_owners", "context", "attachment_size_limit"]
        {
            #expect(d[key] != nil, "missing \(key)")
        }
        #expect(d["data"]?["type"] == 1)
        #expect(d["member"]?["user"]?["id"] != d["application_id"])
        #expect(d["token"]?.stringValue == interaction.token)
        #expect(throws: InteractionRequestError.self) { try world.createInteraction(["data": [:]]) }
    }

    @Test("callback type 4 creates a type 20 message; a second callback → 40060")
    func respondOnce() throws {
        let world = makeWorld()
        let interaction = try create(world)
        let path = "/interactions/\(interaction.id)/\(interaction.token)/callback"
        let answer = try world.call("POST", path, query: ["with_response": "true"], body: ["type": 4, "data": ["content": "pong"]])
        #expect(answer.body?["interaction"]?["id"]?.snowflake == interaction.id)
        #expect(answer.body?["resource"]?["type"] == 4)
        #expect(answer.body?["resource"]?["message"]?["type"] == 20)
        #expect(answer.events.first?.data["interaction_metadata"]?["id"]?.snowflake == interaction.id)
        #expect(throws: RESTError.alreadyAcknowledged) { try world.call("POST", path, body: ["type": 4, "data": ["content": "again"]]) }
        #expect(world.interactionStatus(interaction.id)?["state"] == "responded")
    }

    @Test("the first callback after 3 s → 404 10062, and the state says expired")
    func threeSeconds() throws {
        let clock = ManualWorldClock()
        let world = makeWorld(clock: clock)
        let interaction = try create(world)
        clock.advance(milliseconds: 3_001)
        #expect(world.interactionStatus(interaction.id)?["state"] == "expired")
        #expect(throws: RESTError.unknownInteraction) {
            try world.call("POST", "/interactions/\(interaction.id)/\(interaction.token)/callback", body: ["type": 4, "data": ["content": "late"]])
        }
        let fresh = try create(world)
        clock.advance(milliseconds: 2_999)
        _ = try world.call("POST", "/interactions/\(fresh.id)/\(fresh.token)/callback", body: ["type": 5])
    }

    @Test("deferred, then the first follow-up completes the loading message; @original edits; 15 minutes → 50027")
    func deferredFlow() throws {
        let clock = ManualWorldClock()
        let world = makeWorld(clock: clock)
        let interaction = try create(world)
        let deferred = try world.call("POST", "/interactions/\(interaction.id)/\(interaction.token)/callback", body: ["type": 5])
        #expect(deferred.status == 204)
        #expect(deferred.events.first?.data["flags"] == 128)
        #expect(world.interactionStatus(interaction.id)?["state"] == "deferred")
        let webhook = "/webhooks/\(Ids.bot)/\(interaction.token)"
        let followup = try world.call("POST", webhook, query: ["wait": "true"], body: ["content": "done"])
        #expect(followup.events.map(\.name) == ["MESSAGE_UPDATE"])
        #expect(followup.body?["flags"] == 0)
        #expect(world.interactionStatus(interaction.id)?["state"] == "responded")
        let second = try world.call("POST", webhook, query: ["wait": "true"], body: ["content": "more"])
        #expect(second.events.map(\.name) == ["MESSAGE_CREATE"])
        let edited = try world.call("PATCH", webhook + "/messages/@original", body: ["content": "edited"])
        #expect(edited.body?["content"] == "edited")
        #expect(try world.call("GET", webhook + "/messages/@original").body?["content"] == "edited")
        clock.advance(milliseconds: 15 * 60 * 1_000 + 1)
        #expect(throws: RESTError.invalidWebhookToken) { try world.call("GET", webhook + "/messages/@original") }
    }

    @Test("unknown interaction tokens and wrong callback types")
    func badCallbacks() throws {
        let world = makeWorld()
        let interaction = try create(world)
        #expect(throws: RESTError.unknownInteraction) { try world.call("POST", "/interactions/\(interaction.id)/wrong/callback", body: ["type": 4]) }
        do {
            _ = try world.call("POST", "/interactions/\(interaction.id)/\(interaction.token)/callback", body: ["type": 3])
            Issue.record("accepted callback type 3")
        } catch { #expect(error.code == 50035) }
        do {
            _ = try world.call("POST", "/interactions/\(interaction.id)/\(interaction.token)/callback",
                body: ["type": 4, "data": ["content": .string(String(repeating: "x", count: 2_001))]])
            Issue.record("accepted 2,001 characters")
        } catch { #expect(error.body["errors"]?["data"]?["content"] != nil) }
        #expect(throws: RESTError.unknownWebhook) { try world.call("GET", "/webhooks/\(Ids.bot)/nope/messages/@original") }
    }
}
