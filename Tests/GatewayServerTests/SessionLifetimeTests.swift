import GatewayModel
@testable import GatewayServer
import GatewayTestClient
import Testing

/// What a session holds is freed when the session is deleted (found by `fuzz-frame`'s leak checker:
/// a session and its gateway sessions referred to each other, so a deleted session that had
/// identified stayed in memory with its world and resume buffers).
@Suite(.timeLimit(.minutes(1)), .stopsServers)
struct SessionLifetimeTests {
    @Test func aDeletedSessionIsFreedWithItsGatewaySessions() async throws {
        let server = try await TestServer.start()
        let (client, _) = try await server.identify(token: "freed-token")
        weak var botSession = server.server.state.registry.session(forToken: "freed-token", autoCreate: false, fixture: .default)
        weak var gatewaySession = botSession?.gatewaySessions.first
        #expect(botSession != nil && gatewaySession != nil)
        #expect(server.server.deleteSession(try #require(botSession?.id)))
        #expect(try await client.ending() == .closed(code: 1000, reason: "Session deleted"))
        // The connection lets go of its gateway session once its channel is torn down.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        while (botSession != nil || gatewaySession != nil), clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(botSession == nil, "the deleted session is still in memory")
        #expect(gatewaySession == nil, "the deleted session's gateway session is still in memory")
    }
}
