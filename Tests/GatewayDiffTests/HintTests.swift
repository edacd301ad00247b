import GatewayDiff
import GatewayModel
import Testing

/// One crafted pair per protocol hint: A behaves, B makes the mistake; the report differs and
/// names the mistake on B's side only.
@Suite struct HintTests {
    static func hints(_ a: CraftedSession, _ b: CraftedSession) async throws -> ComparisonReport {
        try await withTemporaryDirectory { directory in
            BehaviourComparison.compare(
                try await a.behaviour(in: directory, name: "a"), try await b.behaviour(in: directory, name: "b"))
        }
    }

    /// Invalid session (op 9 `d:false`) at 1 s; the bot then waits `wait` ms and sends `command` on a new connection.
    static func afterInvalidSession(command: String, wait: Double) -> CraftedSession {
        var session = CraftedSession()
        let first = session.open(at: 0)
        session.identify(first, at: 5)
        session.server(first, at: 1000, #"{"op":9,"d":false,"s":null,"t":null}"#)
        session.close(first, at: 1001, code: 4000, by: .client)
        let second = session.open(at: 1000 + wait - 10)
        if command == "resume" {
            session.resume(second, at: 1000 + wait)
        } else {
            session.identify(second, at: 1000 + wait, gateway: "gs2")
        }
        return session
    }

    @Test func resumeAfterInvalidSession() async throws {
        let report = try await Self.hints(
            Self.afterInvalidSession(command: "identify", wait: 2500), Self.afterInvalidSession(command: "resume", wait: 2500))
        #expect(!report.isEqual)
        #expect(report.hints.map(\.kind) == [.resumeAfterInvalidSession])
        #expect(report.hints.first?.side == "b")
        #expect(report.render(format: .text(color: false)).contains("RESUME after op 9"))
    }

    @Test func identifyTooSoonAfterInvalidSession() async throws {
        let report = try await Self.hints(
            Self.afterInvalidSession(command: "identify", wait: 2500), Self.afterInvalidSession(command: "identify", wait: 300))
        #expect(report.hints.map(\.kind) == [.identifyTooSoonAfterInvalidSession])
        #expect(report.hints.first?.side == "b")
        #expect(report.b.timing.reconnectDelaysMs.count == 1)
    }

    @Test(arguments: [4004, 4010, 4011, 4012, 4013, 4014])
    func reconnectAfterFatalClose(code: Int) async throws {
        func session(reconnects: Bool) -> CraftedSession {
            var session = CraftedSession()
            let first = session.open(at: 0)
            session.identify(first, at: 5)
            session.close(first, at: 500, code: code, by: .server)
            if reconnects {
                let second = session.open(at: 700)
                session.identify(second, at: 705, gateway: "gs2")
            }
            return session
        }
        let report = try await Self.hints(session(reconnects: false), session(reconnects: true))
        #expect(!report.isEqual)
        #expect(report.hints.map(\.kind) == [.reconnectAfterFatalClose])
        #expect(report.hints.first?.message.contains(String(code)) == true)
    }

    @Test func heartbeatCadenceOff() async throws {
        var slow = CraftedSession()
        let connection = slow.open(at: 0, interval: 1000)
        slow.identify(connection, at: 5)
        slow.heartbeats(connection, from: 2, to: 6002, every: 1300)
        slow.close(connection, at: 6500, code: 1000, by: .client)
        var healthy = CraftedSession.healthy()
        healthy.heartbeats(1, from: 5002, to: 6002, every: 1000)
        let report = try await Self.hints(healthy, slow)
        #expect(!report.isEqual)
        #expect(report.cadenceMismatch != nil)
        #expect(report.hints.map(\.kind) == [.heartbeatCadence])
        #expect(report.differences.last?.kind == .cadence)
    }

    @Test func cadenceWithinToleranceIsEqual() async throws {
        var jittery = CraftedSession.healthy()
        jittery.heartbeats(1, from: 5002, to: 9002, every: 1000, jitter: [0, 30, -20, 10])
        let report = try await Self.hints(CraftedSession.healthy(), jittery)
        #expect(report.cadenceMismatch == nil)
        #expect(report.hints.isEmpty)
    }

    @Test func tooManyCommands() async throws {
        func session(commands: Int) -> CraftedSession {
            var session = CraftedSession()
            let connection = session.open(at: 0)
            session.identify(connection, at: 5)
            for index in 0..<commands {
                session.client(connection, at: 100 + Double(index) * 100, #"{"op":3,"d":{"status":"online","afk":false,"since":null,"activities":[]}}"#)
            }
            return session
        }
        let report = try await Self.hints(session(commands: 100), session(commands: 130))
        #expect(!report.isEqual)
        #expect(report.hints.map(\.kind) == [.rateLimit])
        #expect(report.b.timing.maxCommandsIn60s == 131)
        #expect(report.a.timing.maxCommandsIn60s == 101)
    }

    @Test func ignoredReconnectAndMissedHeartbeats() async throws {
        var ignoring = CraftedSession()
        let connection = ignoring.open(at: 0)
        ignoring.identify(connection, at: 5)
        ignoring.server(connection, at: 100, #"{"op":7,"d":null,"s":null,"t":null}"#)
        ignoring.client(connection, at: 6000, #"{"op":3,"d":{"status":"online"}}"#)
        ignoring.close(connection, at: 9000, code: 4009, by: .server)
        let report = try await Self.hints(CraftedSession.healthy(), ignoring)
        #expect(Set(report.hints.map(\.kind)) == [.ignoredReconnect, .missedHeartbeats])
    }
}
