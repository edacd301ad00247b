import GatewayModel
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A Discord Gateway (v10) server with the REST subset and the control API on one port.
///
/// Embed it in a Swift test suite:
/// ```swift
/// let server = GatewayServer(configuration: .init(port: 0))
/// let task = Task { try await server.run() }
/// let port = try await server.listeningPort()
/// // point the bot at ws://127.0.0.1:\(port) and http://127.0.0.1:\(port)/api/v10 ...
/// let session = try server.createSession(name: "bot", token: nil)
/// server.dispatchToSession(session.id, event: "MESSAGE_CREATE", data: message, guildID: "1099511627776000000")
/// await server.close()
/// ```
/// It is also a `Service` for swift-service-lifecycle: on graceful shutdown it closes every
/// gateway connection with 1001 and stops.
public final class GatewayServer: Service, Sendable {
    let state: GatewayState
    let logger: Logger
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle: Sendable {
        var port: Int?
        var portWaiters: [CheckedContinuation<Int, any Error>] = []
        var group: ServiceGroup?
        var closed = false
    }

    /// Creates a server; nothing listens until `run()`.
    public init(configuration: GatewayServerConfiguration = .init(), logger: Logger = GatewayServer.defaultLogger) {
        self.state = GatewayState(configuration: configuration)
        self.logger = logger
    }

    /// A logger at `warning` level, so an embedded server stays quiet.
    public static var defaultLogger: Logger {
        var logger = Logger(label: "gatewaytape")
        logger.logLevel = .warning
        return logger
    }

    /// The configuration the server was created with.
    public var configuration: GatewayServerConfiguration { state.configuration }

    /// Binds and serves until `close()` or a graceful shutdown of the enclosing service group.
    public func run() async throws {
        let state = self.state
        let app = Application(
            router: makeRouter(),
            server: HTTPServerBuilder { [self] responder in GatewayChildChannel(responder: responder, server: self) },
            configuration: .init(address: .hostname(state.configuration.host, port: state.configuration.port), serverName: nil),
            onServerRunning: { [self] channel in self.didBind(port: channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let alreadyClosed = lifecycle.withLock { lifecycle in
            lifecycle.group = group
            return lifecycle.closed
        }
        if alreadyClosed { return }
        let sweeper = Task { [state] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                state.registry.sweepExpired(now: MonotonicClock.now())
            }
        }
        defer { sweeper.cancel() }
        do {
            try await withGracefulShutdownHandler {
                try await group.run()
            } onGracefulShutdown: {
                self.closeAllConnections(code: .goingAway)
            }
        } catch {
            failPortWaiters(error)
            throw error
        }
        failPortWaiters(CancellationError())
    }

    /// Every HTTP route: REST (or forwarding to the upstream in proxy mode), the control API, and
    /// JSON answers for what no route takes. Package access: the body fuzzer drives it without sockets.
    package func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        // Without an upstream, REST is answered before the router (`RESTChannelHandler`).
        if let upstream = state.configuration.upstream {
            router.add(middleware: ForwardingMiddleware(server: self, upstream: upstream))
        }
        ControlRoutes(server: self).register(on: router)
        router.add(middleware: UnmatchedRouteMiddleware(routes: router.routes))
        return router
    }

    /// The bound port, once listening (useful with port 0).
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let port = lifecycle.withLock { lifecycle -> Int? in
                if lifecycle.port == nil { lifecycle.portWaiters.append(continuation) }
                return lifecycle.port
            }
            if let port { continuation.resume(returning: port) }
        }
    }

    /// Closes every gateway connection with 1001 and stops the server.
    public func close() async {
        let group = lifecycle.withLock { lifecycle in
            lifecycle.closed = true
            return lifecycle.group
        }
        closeAllConnections(code: .goingAway)
        await group?.triggerGracefulShutdown()
    }

    /// Whether the server forwards to an upstream (proxy mode, SPEC §10): `dispatchToSession` then
    /// sends nothing (the upstream owns sequence numbers).
    public var isProxy: Bool { state.configuration.upstream != nil }

    /// The number of open gateway connections.
    public var connectionCount: Int { state.registry.connectionCount }

    /// HELLO's `heartbeat_interval` (ms) for new connections.
    public var heartbeatInterval: Int {
        get { state.heartbeatInterval }
        set {
            state.heartbeatInterval = newValue
            state.recordControl(sessionID: nil, action: "heartbeat_interval", args: ["interval": .int(Int64(newValue))])
        }
    }

    private func didBind(port: Int) {
        let waiters = lifecycle.withLock { lifecycle in
            lifecycle.port = port
            defer { lifecycle.portWaiters.removeAll() }
            return lifecycle.portWaiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func failPortWaiters(_ error: any Error) {
        let waiters = lifecycle.withLock { lifecycle in
            defer { lifecycle.portWaiters.removeAll() }
            return lifecycle.portWaiters
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    private func closeAllConnections(code: GatewayCloseCode) {
        state.isShuttingDown = true
        stopScenarios()
        for connection in state.registry.connections {
            connection.enqueue(.close(code: code, reason: code.reason, endsSession: false))
        }
    }
}
