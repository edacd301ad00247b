import Foundation
import GatewayModel
import GatewayWorld
import HTTPTypes
import NIOCore
import NIOHTTP1

/// REST (SPEC §4) under `/api/v10`, `/api/v9` and `/api`: each call is matched to its route, given to
/// its session's world (or answered by an injected fault), its events dispatched, recorded and logged.
/// Decoding and encoding only: Discord's rules live in `GatewayWorld`.
struct RESTRoutes: Sendable {
    let server: GatewayServer
    private var state: GatewayState { server.state }
    /// Discord takes up to 25 MiB of attachments per message.
    static let maxBodySize = 32 << 20

    /// Answers one REST request.
    func respond(to request: RESTRequest) async -> RESTResponse {
        let arrived = MonotonicClock.now()
        let id = state.makeHTTPID()
        let method = request.method
        var path = request.path
        if let query = request.query { path += "?" + query }
        let matched = RESTRoute.match(method: method, path: request.path)
        let route = try? matched.get().route
        var session: BotSession?
        let decoded = Result { () throws(RESTError) in try RESTBody(request.body, contentType: request.headers.first(name: "content-type")) }
        // Kept for the log and the recording even when the route is unknown.
        let body = (try? decoded.get()) ?? RESTBody()
        var answer: Answer
        do throws(RESTError) {
            let match = try matched.mapError { failure -> RESTError in failure == .unknownRoute ? .unknownRoute : .methodNotAllowed }.get()
            session = try self.session(for: request, match: match)
            if request.tooLarge { throw RESTError(status: 413, code: 40005, message: "Request entity too large") }
            _ = try decoded.get()
            // Scenario rules on this call fire first, so a rule's rest fault answers this very call.
            if let session, session.scenario != nil {
                server.observeRESTCall(sessionID: session.id, method: method, route: match.route.template)
            }
            if let session, let fault = session.restFaults.take(method: method, route: match.route.name, path: path) {
                answer = await faultAnswer(fault, session: session, path: path)
            } else if let session, let responder = state.configuration.restResponder,
                let reply = responder.answer(RESTCall(
                    id: id, sessionID: session.id, match: match, query: request.query ?? "", body: body.json, world: session.world))
            {
                answer = Answer(reply, route: match.route.name)
            } else {
                answer = try worldAnswer(match, request: request, body: body, session: session)
            }
        } catch {
            answer = Answer(status: error.status, body: error.body)
        }
        // Encoded once: for the answer, the recording and the event that extends it.
        let answerBytes = answer.body?.jsonBytes
        if let session, !answer.events.isEmpty {
            for event in answer.events {
                // The world made its own events; a responder's are news to it.
                if answer.fromResponder, World.observes(event.name) { session.world.observe(event: event.name, data: event.data) }
                let payload: DispatchPayload
                if let added = event.addedToAnswer, let answerBytes, let bytes = JSONValue.objectBytes(answerBytes, adding: added) {
                    payload = DispatchPayload(bytes: ByteBuffer(bytes: bytes), value: event.data)
                } else {
                    payload = DispatchPayload(event.data)
                }
                server.dispatchToSession(session.id, event: event.name, payload: payload, guild: event.guildID, asControl: false, cause: id)
            }
        }
        // Interaction callbacks are not rate limited: Discord sends no bucket for them (hikari warns on one).
        let headers = answer.headers ?? (route == .interactionCallback ? [.via: "1.1 google"] : Self.rateLimitHeaders(route: route?.name ?? path))
        let action = RESTAction(
            id: id, t: arrived &- state.startedAt, method: method, path: path, route: route?.name, status: answer.status,
            requestText: body.json == .null ? nil : body.json.jsonBytes, responseText: answerBytes)
        session?.actions.append(action)
        var responseHeaders = headers
        if answerBytes != nil { responseHeaders[.contentType] = "application/json" }
        record(action, request: request, body: body, answerBytes: answerBytes, sessionID: session?.id, arrived: arrived, headers: responseHeaders)
        return RESTResponse(status: answer.status, headers: responseHeaders, body: answerBytes)
    }

    /// What a call is answered with.
    private struct Answer {
        var status: Int
        var body: JSONValue?
        var events: [WorldEvent] = []
        /// Headers replacing the usual rate-limit headers (an injected 429).
        var headers: HTTPFields?
        /// Whether a `RESTResponder` answered (its events did not come from the world).
        var fromResponder = false

        init(status: Int, body: JSONValue?, events: [WorldEvent] = [], headers: HTTPFields? = nil) {
            self.status = status
            self.body = body
            self.events = events
            self.headers = headers
        }

        /// A responder's reply; a 429 without headers gets Discord's, from its body's `retry_after` and `global`.
        init(_ reply: RESTReply, route: String) {
            var headers: HTTPFields?
            if let given = reply.headers {
                headers = HTTPFields(given.compactMap { field in HTTPField.Name(field.name).map { HTTPField(name: $0, value: field.value) } })
            } else if reply.status == 429 {
                let retryAfter: Double = switch reply.body?["retry_after"] {
                case .double(let seconds)?: seconds
                case .int(let seconds)?: Double(seconds)
                default: 1
                }
                headers = RESTRoutes.tooManyRequestsHeaders(retryAfter: retryAfter, bucketKey: route, global: reply.body?["global"] == true)
            }
            self.init(status: reply.status, body: reply.body, events: reply.events, headers: headers)
            fromResponder = true
        }
    }

    /// The session a call acts in: by the interaction token in the path, else by `Authorization: Bot TOKEN`
    /// (an unknown token makes a session unless `--strict-tokens`). `GET /gateway` needs none.
    private func session(for request: RESTRequest, match: RouteMatch) throws(RESTError) -> BotSession? {
        if match.route.usesInteractionToken {
            if let session = match["interaction.token"].flatMap(state.session(forInteractionToken:)) { return session }
            throw match.route == .interactionCallback ? .unknownInteraction : .unknownWebhook
        }
        let session = request.headers.first(name: "authorization").flatMap { authorization -> BotSession? in
            guard authorization.hasPrefix("Bot ") else { return nil }
            return state.registry.session(
                forToken: String(authorization.dropFirst(4)), autoCreate: !state.configuration.strictTokens, fixture: state.configuration.fixture)
        }
        if session == nil, match.route != .getGateway { throw .unauthorized }
        return session
    }

    private func worldAnswer(_ match: RouteMatch, request: RESTRequest, body: RESTBody, session: BotSession?) throws(RESTError) -> Answer {
        switch match.route {
        case .getGateway:
            return Answer(status: 200, body: ["url": .string(gatewayURL(request))])
        case .getGatewayBot:
            return Answer(status: 200, body: [
                "url": .string(gatewayURL(request)), "shards": 1,
                "session_start_limit": ["total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1],
            ])
        default:
            guard let session else { throw .unauthorized }
            let query = request.query.map(RESTRoute.queryParameters) ?? [:]
            let result = try session.world.handle(WorldRequest(match: match, query: query, body: body.json, files: body.files))
            return Answer(status: result.status, body: result.body, events: result.events)
        }
    }

    /// An injected fault's answer, after its delay; recorded as a `rest_fault` control row.
    private func faultAnswer(_ fault: RESTFault, session: BotSession, path: String) async -> Answer {
        let injected = await Self.injectedAnswer(fault, sessionID: session.id, path: path, state: state)
        return Answer(status: injected.status, body: injected.body, headers: injected.headers)
    }

    /// An injected fault's answer (here and in proxy mode), after its delay; recorded as a `rest_fault`
    /// control row.
    static func injectedAnswer(_ fault: RESTFault, sessionID: String, path: String, state: GatewayState) async
        -> (status: Int, body: JSONValue, headers: HTTPFields)
    {
        if let delay = fault.delayMs, delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
        state.recordControl(sessionID: sessionID, action: "rest_fault", args: fault.json.merging(["path": .string(Redaction.redactInteractionToken(inPath: path))]))
        guard fault.status == 429 else { return (fault.status, fault.answerBody, rateLimitHeaders(route: fault.route ?? path)) }
        return (429, fault.answerBody, tooManyRequestsHeaders(retryAfter: fault.retryAfter, bucketKey: fault.route ?? path, global: fault.global))
    }

    /// Discord's headers of a 429: the bucket exhausted for `retryAfter` seconds, `Retry-After` and `Via`.
    static func tooManyRequestsHeaders(retryAfter: Double, bucketKey: String, global: Bool) -> HTTPFields {
        var headers: HTTPFields = [
            .rateLimitLimit: "1", .rateLimitRemaining: "0", .rateLimitResetAfter: seconds(retryAfter),
            .rateLimitReset: seconds(unixNow() + retryAfter), .rateLimitBucket: bucket(bucketKey),
            .rateLimitScope: global ? "global" : "user", .retryAfter: String(Int(retryAfter.rounded(.up))), .via: "1.1 google",
        ]
        if global { headers[.rateLimitGlobal] = "true" }
        return headers
    }

    /// Discord's rate-limit headers for an ordinary answer (a bucket per route, never exhausted) and `Via`.
    static func rateLimitHeaders(route: String) -> HTTPFields {
        [
            .rateLimitLimit: "5", .rateLimitRemaining: "4", .rateLimitResetAfter: "1.000",
            .rateLimitReset: seconds(unixNow() + 1), .rateLimitBucket: bucket(route), .via: "1.1 google",
        ]
    }

    /// Seconds with three decimals, as Discord writes them (`1.500`); without `String(format:)`, which
    /// costs microseconds on every answer.
    static func seconds(_ value: Double) -> String {
        let milliseconds = Int64((max(0, value) * 1_000).rounded())
        let fraction = String(milliseconds % 1_000)
        return String(milliseconds / 1_000) + "." + String(repeating: "0", count: 3 - fraction.utf8.count) + fraction
    }

    /// A stable bucket id for a route (FNV-1a, hex).
    private static func bucket(_ route: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in route.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    private static func unixNow() -> Double { Double(SystemWorldClock().nowMilliseconds()) / 1_000 }

    /// Records the call: path with interaction tokens redacted, request headers (Authorization redacted),
    /// body, files, answer and answer headers.
    private func record(
        _ action: RESTAction, request: RESTRequest, body: RESTBody, answerBytes: [UInt8]?, sessionID: String?, arrived: UInt64, headers: HTTPFields
    ) {
        guard let sink = state.trafficSink else { return }
        var requestHeaders: [String: JSONValue] = [:]
        for (name, value) in request.headers {
            let name = name.lowercased()
            requestHeaders[name] = .string(name == "authorization" ? Self.redactAuthorization(value) : value)
        }
        var recorded: JSONValue = ["headers": .object(requestHeaders), "body": body.json]
        if let files = body.recordedFiles { recorded["files"] = files }
        var answerHeaders: [String: JSONValue] = [:]
        for field in headers { answerHeaders[field.name.canonicalName] = .string(field.value) }
        sink.record(.http(HTTPRecord(
            id: action.id, sessionID: sessionID, method: action.method, path: Redaction.redactInteractionToken(inPath: action.path),
            status: action.status, request: recorded.jsonString, response: answerBytes.map { String(decoding: $0, as: UTF8.self) } ?? "null", t: arrived,
            route: action.route, responseHeaders: JSONValue.object(answerHeaders).jsonString)))
    }

    /// `Bot TOKEN` → `Bot redacted:…`.
    static func redactAuthorization(_ value: String) -> String {
        guard let space = value.firstIndex(of: " ") else { return Redaction.redact(value) }
        return value[..<space] + " " + Redaction.redact(String(value[value.index(after: space)...]))
    }

    /// The gateway URL as the client reached this server (its `Host` header), with no query string.
    private func gatewayURL(_ request: RESTRequest) -> String { state.gatewayURL(authority: request.headers.first(name: "host")) }
}

/// A REST request as read off its connection (by `RESTChannelHandler`).
struct RESTRequest: Sendable {
    var method: String
    /// The path, without the query.
    var path: String
    var query: String?
    var headers: HTTPHeaders
    /// The body, nil without one.
    var body: ByteBuffer?
    /// Whether the body was over `RESTRoutes.maxBodySize` (answered 413).
    var tooLarge = false

    init(_ head: HTTPRequestHead, body: ByteBuffer?, tooLarge: Bool) {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        method = head.method.rawValue
        path = parts.first.map(String.init) ?? "/"
        query = parts.count > 1 ? String(parts[1]) : nil
        headers = head.headers
        self.body = body
        self.tooLarge = tooLarge
    }
}

extension GatewayServer {
    /// Answers a REST request as `RESTChannelHandler` answers one off a connection, without a
    /// connection (the `fuzz-http` target's way in).
    package func answerREST(_ head: HTTPRequestHead, body: ByteBuffer?) async -> (status: Int, body: [UInt8]?) {
        let response = await RESTRoutes(server: self).respond(to: RESTRequest(head, body: body, tooLarge: false))
        return (response.status, response.body)
    }
}

/// A REST answer: JSON (with its `Content-Type` among `headers`) or no body.
struct RESTResponse: Sendable {
    var status: Int
    var headers: HTTPFields
    var body: [UInt8]?
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("X-RateLimit-Limit")!
    static let rateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let rateLimitResetAfter = Self("X-RateLimit-Reset-After")!
    static let rateLimitReset = Self("X-RateLimit-Reset")!
    static let rateLimitBucket = Self("X-RateLimit-Bucket")!
    static let rateLimitScope = Self("X-RateLimit-Scope")!
    static let rateLimitGlobal = Self("X-RateLimit-Global")!
}
