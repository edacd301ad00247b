import GatewayModel
import GatewayServer
import GatewayTestClient
import Testing

/// A live server on a free port for one test, with helpers to connect and identify.
struct TestServer {
    let server: GatewayServer
    let port: Int
    private let task: Task<Void, any Error>

    static func start(_ configuration: GatewayServerConfiguration = .init()) async throws -> TestServer {
        var configuration = configuration
        configuration.port = 0
        let server = GatewayServer(configuration: configuration)
        let task = Task { try await server.run() }
        let port = try await server.listeningPort()
        return TestServer(server: server, port: port, task: task)
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

/// Every intent bit that is documented.
let allIntents = Int64(GatewayIntents.documented.rawValue)
