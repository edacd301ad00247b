import FuzzDriver
import Foundation
import GatewayModel
import GatewayServer
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization

/// The control API and REST body decoders, through the server's own router and REST entry (no sockets): one
/// request with a fuzzed body to a route that reads one (JSON, multipart and form bodies on REST;
/// dispatch, fault, scenario, interaction, session and fixture bodies on the control API), on a
/// fresh server with a session, a connection-less gateway and one open interaction. The answer must
/// never be a 5xx; an error (4xx) must be a JSON object, any other body JSON.
///
/// The first byte of an input picks the route (modulo the number of routes), the rest is the body.
@main
enum FuzzHTTP {
    static func main() { fuzzMain(fuzzOne) }
}

private struct DiscardingSink: RecordingSink {
    func record(_ event: RecordEvent) { _ = event }
}

private let token = "fuzz-token"
private let channelID = "1100000000000000101"
private let guildID = "1099511627776000000"
private let multipart = "multipart/form-data; boundary=fuzz"
private let form = "application/x-www-form-urlencoded"

/// Method, path (`{s}` the session, `{i}` / `{t}` the interaction's id and token) and Content-Type.
private let routes: [(String, String, String)] = [
    ("POST", "/api/control/sessions", "application/json"),
    ("POST", "/api/control/sessions/{s}/dispatch", "application/json"),
    ("POST", "/api/control/sessions/{s}/disconnect", "application/json"),
    ("POST", "/api/control/sessions/{s}/invalidate", "application/json"),
    ("POST", "/api/control/sessions/{s}/heartbeat/stop-acks", "application/json"),
    ("POST", "/api/control/sessions/{s}/reconnect", "application/json"),
    ("POST", "/api/control/sessions/{s}/invalid-session", "application/json"),
    ("POST", "/api/control/sessions/{s}/heartbeat/request", "application/json"),
    ("POST", "/api/control/sessions/{s}/drop", "application/json"),
    ("POST", "/api/control/sessions/{s}/scenario", "application/json"),
    ("PUT", "/api/control/heartbeat-interval", "application/json"),
    ("POST", "/api/control/sessions/{s}/interactions", "application/json"),
    ("POST", "/api/control/sessions/{s}/rest-faults", "application/json"),
    ("POST", "/api/v10/channels/\(channelID)/messages", "application/json"),
    ("POST", "/api/v10/channels/\(channelID)/messages", multipart),
    ("POST", "/api/v10/channels/\(channelID)/messages", form),
    ("POST", "/api/v10/channels/\(channelID)/messages", "multipart/form-data"),
    ("PATCH", "/api/v10/channels/\(channelID)/messages/1", "application/json"),
    ("POST", "/api/v10/channels/\(channelID)/messages/bulk-delete", "application/json"),
    ("POST", "/api/v10/interactions/{i}/{t}/callback", "application/json"),
    ("POST", "/api/v10/interactions/{i}/{t}/callback", multipart),
    ("POST", "/api/v10/interactions/{i}/{t}/callback", form),
    ("PATCH", "/api/v10/webhooks/1/{t}/messages/@original", "application/json"),
    ("POST", "/api/v10/webhooks/1/{t}", "application/json"),
    ("PUT", "/api/v10/applications/1/commands", "application/json"),
    ("POST", "/api/v10/applications/1/guilds/\(guildID)/commands", "application/json"),
    ("PATCH", "/api/v10/guilds/\(guildID)/members/1000000000000000001", "application/json"),
    ("POST", "/api/v10/users/@me/channels", "application/json"),
]

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: count)
    guard let choice = input.first else { return 0 }
    let (method, template, contentType) = routes[Int(choice) % routes.count]
    let body = ByteBuffer(bytes: input.dropFirst())

    let server = GatewayServer(configuration: .init(recordingSink: DiscardingSink()))
    let session: (id: String, token: String)
    let interaction: (id: String, token: String, delivered: Int)
    do {
        session = try server.createSession(name: "fuzz", token: token)
        interaction = try server.createInteraction(session.id, request: ["data": ["name": "ping"]])
    } catch {
        fatalError("the fuzz session could not be set up: \(error)")
    }
    // Deleting a session frees it (the leak checker sees what it would not).
    defer { for session in server.sessions() { _ = server.deleteSession(session.id) } }
    let path = template.replacingOccurrences(of: "{s}", with: session.id)
        .replacingOccurrences(of: "{i}", with: interaction.id).replacingOccurrences(of: "{t}", with: interaction.token)
    let (status, answer) = path.hasPrefix("/api/control") ? control(method, path, contentType: contentType, body: body, server: server)
        : blocking {
            let head = HTTPRequestHead(
                version: .http1_1, method: HTTPMethod(rawValue: method), uri: path,
                headers: ["Content-Type": contentType, "Authorization": "Bot " + token])
            let answer = await server.answerREST(head, body: body)
            return (answer.status, answer.body ?? [])
        }
    precondition(status < 500, "\(method) \(path) answered \(status): \(String(decoding: answer, as: UTF8.self))")
    if status >= 400 || !answer.isEmpty {
        let json = try? JSONValue(parsing: answer)
        precondition(json != nil, "\(method) \(path) answered \(status) with a body that is not JSON")
        if status >= 400, case .object = json {} else if status >= 400 {
            preconditionFailure("\(method) \(path) answered \(status) with a body that is not a JSON object")
        }
    }
    return 0
}

/// A control API request through the server's router.
private func control(_ method: String, _ path: String, contentType: String, body: ByteBuffer, server: GatewayServer) -> (Int, [UInt8]) {
    let request = Request(
        head: HTTPRequest(
            method: HTTPRequest.Method(method)!, scheme: "http", authority: "127.0.0.1", path: path,
            headerFields: [.contentType: contentType, .authorization: "Bot " + token]),
        body: RequestBody(buffer: body))
    let responder = server.makeRouter().buildResponder()
    return blocking {
        let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: contextChannel, logger: logger))
        do {
            let response = try await responder.respond(to: request, context: context)
            let collected = Shared<[UInt8]>([])
            try await response.body.write(Collector(into: collected))
            return (response.status.code, collected.value.withLock { $0 })
        } catch {
            fatalError("\(method) \(path) threw instead of answering: \(error)")
        }
    }
}

/// The channel request contexts name (no route uses it); one for the process, never closed.
private let contextChannel = NIOAsyncTestingChannel()

private let logger: Logger = {
    var logger = Logger(label: "fuzz-http")
    logger.logLevel = .critical
    return logger
}()

/// Runs `body` on the cooperative pool and waits for it on this (libFuzzer's) thread.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let result = Shared<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        result.value.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.value.withLock { $0! }
}

/// A value handed between threads.
private final class Shared<T: Sendable>: Sendable {
    let value: Mutex<T>
    init(_ value: T) { self.value = Mutex(value) }
}

/// Collects a response's body.
private struct Collector: ResponseBodyWriter {
    let into: Shared<[UInt8]>
    mutating func write(_ buffer: ByteBuffer) async throws { into.value.withLock { $0 += buffer.readableBytesView } }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
