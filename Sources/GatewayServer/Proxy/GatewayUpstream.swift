import GatewayModel
import NIOCore
import NIOHTTP1

/// Where a server in proxy mode sends its bots' traffic (SPEC §10): set as
/// `GatewayServerConfiguration.upstream`, and the server forwards every REST call and every gateway
/// connection to it instead of answering itself, while its own sessions, recording and fault controls
/// keep working on the bot's side. `GatewayProxy` implements it for a real Discord.
public protocol GatewayUpstream: Sendable {
    /// Opens the upstream side of a new bot connection. Called on the bot connection's event loop
    /// (`relay.eventLoop`); the returned connection and the relay are used on that loop only.
    func connect(_ relay: GatewayRelay) -> any GatewayUpstreamConnection

    /// Forwards one REST call and returns the upstream's answer (or an error answer of the proxy's own,
    /// such as a 502 when the upstream cannot be reached).
    func forward(_ request: UpstreamRequest) async -> UpstreamResponse
}

/// The upstream half of one proxied gateway connection, used on the bot connection's event loop.
public protocol GatewayUpstreamConnection: AnyObject {
    /// Sends one message of the bot (its JSON text, as the bot sent it).
    func send(_ message: ByteBuffer)
    /// Closes the upstream connection with a close frame (`nil`: a close frame without a code).
    func close(code: UInt16?, reason: String)
    /// Cuts the upstream TCP connection with no close frame.
    func drop()
    /// Stops (or resumes) reading from the upstream: backpressure from a bot that reads slowly.
    func setReading(_ reading: Bool)
}

/// The bot's side of one proxied gateway connection, as its upstream connection sees it. Loop-bound:
/// use it on `eventLoop` only.
public final class GatewayRelay {
    /// The bot connection's event loop; the upstream connection should live on it too (no thread hops).
    public let eventLoop: any EventLoop
    /// The gateway URL the bot reached the proxy by, e.g. `ws://127.0.0.1:8765` (no path, no query).
    public let gatewayURL: String
    /// The path of the bot's upgrade request (a proxy's `resume_gateway_url` may name a session in it).
    public let path: String
    /// The query of the bot's upgrade request (`v`, `encoding`, `compress`).
    public let query: String
    weak var handler: GatewayConnectionHandler?

    init(handler: GatewayConnectionHandler, eventLoop: any EventLoop, gatewayURL: String, path: String, query: String) {
        self.handler = handler
        self.eventLoop = eventLoop
        self.gatewayURL = gatewayURL
        self.path = path
        self.query = query
    }

    /// Forwards one upstream message (its decompressed JSON text) to the bot; it goes out at the next
    /// `flush()`. READY and RESUMED attach the connection to its gateway session.
    public func receive(_ json: UnsafeRawBufferPointer, header: GatewayFrameHeader) {
        handler?.forwardFromUpstream(json, header: header)
    }

    /// Writes what `receive` queued (call it at the end of each read burst).
    public func flush() { handler?.flushForwarded() }

    /// The upstream answered the bot's IDENTIFY with READY for this gateway session; call it before
    /// `receive` of the READY itself.
    public func upstreamIdentified(gatewaySessionID: String) { handler?.proxyIdentified(gatewaySessionID: gatewaySessionID) }

    /// The upstream closed with a close frame: the bot's connection is closed with the same code.
    public func upstreamClosed(code: UInt16?, reason: String) { handler?.upstreamEnded(.closed(code: code, reason: reason)) }

    /// The upstream TCP connection ended without a close frame: the bot's connection is cut too.
    public func upstreamDropped() { handler?.upstreamEnded(.dropped) }

    /// The upstream could not be reached (or refused the upgrade): the bot's connection is closed with
    /// 4000, a code clients reconnect after.
    public func upstreamFailed(_ reason: String) { handler?.upstreamEnded(.failed(reason)) }

    /// The upstream socket's writability changed: the bot is read only while the upstream can take more.
    public func upstreamWritabilityChanged(_ writable: Bool) { handler?.setBotReading(writable) }
}

/// One REST call of a bot, as a proxy forwards it.
public struct UpstreamRequest: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// The path and query as the bot sent them (`/api/v10/channels/1/messages?limit=5`).
    public var path: String
    /// The bot's headers, hop-by-hop ones included (the forwarder decides what goes on).
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// The gateway URL the bot reached the proxy by, for rewriting `/gateway` answers.
    public var gatewayURL: String

    public init(method: String, path: String, headers: HTTPHeaders, body: ByteBuffer, gatewayURL: String) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.gatewayURL = gatewayURL
    }
}

/// The answer a bot gets to a forwarded REST call.
public struct UpstreamResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
