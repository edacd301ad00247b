import GatewayModel
import GatewayServer
import GatewayTestClient
import Synchronization
import Testing

/// A live server on a free port for one test, with helpers to connect and identify.
///
/// A test in a suite with the ``StopsServers`` trait (`@Suite(.stopsServers)`) gets its servers
/// stopped, and their teardown awaited, when it ends; starting one anywhere else is an error.
struct TestServer: Sendable {
    let server: GatewayServer
    let port: Int
    private let task: Task<Void, any Error>

    /// The servers the running test started (set by ``StopsServers``).
    @TaskLocal static var started: StartedServers?

    static func start(_ configuration: GatewayServerConfiguration = .init()) async throws -> TestServer {
        guard let started else {
            throw TestClientError.unexpected("TestServer.start needs the suite trait .stopsServers (it stops the server)")
        }
        var configuration = configuration
        configuration.port = 0
        let server = GatewayServer(configuration: configuration)
        let task = Task { try await server.run() }
        let testServer = TestServer(server: server, port: try await server.listeningPort(), task: task)
        started.servers.withLock { $0.append(testServer) }
        return testServer
    }

    func stop() async {
        await server.close()
        _ = try? await task.value
    }

    func connect(query: String = "v=10&encoding=json", path: String = "/") async throws -> GatewayTestClient {
        try await GatewayTestClient.connect(port: port, path: path, query: query)
    }

    /// Connects, reads HELLO, identifies and reads READY. Returns the client and READY's frame.
    func identify(
        token: String = "test-token", intents: Int64 = allIntents,
        shard: [Int64]? = nil, query: String = "v=10&encoding=json", extra: [String: JSONValue] = [:]
    ) async throws -> (GatewayTestClient, JSONValue) {
        let client = try await connect(query: query)
        let hello = try await client.next()
        #expect(hello["op"] == 10)
        var d: [String: JSONValue] = [
            "token": .string(token), "intents": .int(intents),
            "properties": ["os": "linux", "browser": "test", "device": "test"],
        ]
        if let shard { d["shard"] = .array(shard.map { .int($0) }) }
        for (key, value) in extra { d[key] = value }
        try await client.send(op: 2, .object(d))
        let ready = try await client.nextDispatch("READY")
        return (client, ready)
    }
}

/// The servers one test started.
final class StartedServers: Sendable {
    let servers = Mutex<[TestServer]>([])

    /// Stops every server and waits until each has shut down.
    func stopAll() async {
        for server in servers.withLock({ $0 }) { await server.stop() }
    }
}

/// Stops the servers each test of the suite started, and awaits their teardown, when the test ends
/// (however it ends), before the next test starts.
struct StopsServers: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }
        let started = StartedServers()
        try await TestServer.$started.withValue(started) {
            do {
                try await function()
            } catch {
                await started.stopAll()
                throw error
            }
            await started.stopAll()
        }
    }
}

extension Trait where Self == StopsServers {
    /// Stops, and awaits, the servers each test starts.
    static var stopsServers: Self { Self() }
}

/// Every intent bit that is documented.
let allIntents = Int64(GatewayIntents.documented.rawValue)
