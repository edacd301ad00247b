import GatewayModel
import HTTPTypes
import Hummingbird
import NIOCore

/// The REST subset (SPEC §4) under `/api/v10`, `/api/v9` and `/api`: enough for client libraries
/// to start. Anything else answers Discord's unknown-route 404. Every call is recorded.
struct RESTRoutes {
    let state: GatewayState

    func register(on router: Router<BasicRequestContext>) {
        for prefix in ["api/v10", "api/v9", "api"] {
            let group = router.group(RouterPath(prefix))
            group.get("gateway") { request, _ in self.respond(request, auth: false) { ["url": .string(gatewayURL(request))] } }
            group.get("gateway/bot") { request, _ in
                self.respond(request) {
                    [
                        "url": .string(gatewayURL(request)), "shards": 1,
                        "session_start_limit": ["total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1],
                    ]
                }
            }
            group.get("users/@me") { request, _ in self.respond(request) { fixture(for: request).user } }
            group.get("oauth2/applications/@me") { request, _ in self.respond(request) { fixture(for: request).application } }
            group.get("applications/@me") { request, _ in self.respond(request) { fixture(for: request).application } }
            group.get("soundboard-default-sounds") { request, _ in self.respond(request) { [] } }
            for path in ["applications/:app/commands", "applications/:app/guilds/:guild/commands"] {
                group.get(RouterPath(path)) { request, _ in self.respond(request) { [] } }
                group.put(RouterPath(path)) { request, _ in
                    let body = try? await request.jsonArray()
                    return self.respond(request, requestBody: body) { body ?? [] }
                }
            }
        }
    }

    /// Answers with `body` (200), or 401 under `--strict-tokens` without a known `Bot` token, and records the call.
    /// REST answers close the connection, so a client that pools connections opens a fresh one for the
    /// gateway upgrade.
    private func respond(_ request: Request, auth: Bool = true, requestBody: JSONValue? = nil, _ body: () -> JSONValue) -> Response {
        let session = session(for: request)
        let (status, answer): (HTTPResponse.Status, JSONValue) =
            if auth, state.configuration.strictTokens, session == nil {
                (.unauthorized, ["message": "401: Unauthorized", "code": 0])
            } else {
                (.ok, body())
            }
        record(request, sessionID: session?.id, status: status, requestBody: requestBody, response: answer)
        return JSONResponse.make(status, answer, closeConnection: true)
    }

    /// Discord's answer to an unknown route; the call is recorded with its body (e.g. a bot's
    /// `POST /channels/{id}/messages`), so diffs can compare what the bot sent.
    func notFound(_ request: Request) async -> Response {
        var request = request
        let body = try? await request.collectBody(upTo: 1 << 20)
        let requestBody: JSONValue? = body.flatMap { buffer in
            buffer.readableBytes == 0 ? nil : (try? JSONValue(parsing: buffer.readableBytesView)) ?? .string(String(buffer: buffer))
        }
        let answer: JSONValue = ["message": "404: Not Found", "code": 0]
        record(request, sessionID: session(for: request)?.id, status: .notFound, requestBody: requestBody, response: answer)
        return JSONResponse.make(.notFound, answer, closeConnection: true)
    }

    private func record(_ request: Request, sessionID: String?, status: HTTPResponse.Status, requestBody: JSONValue?, response: JSONValue) {
        guard let sink = state.trafficSink else { return }
        var headers: [String: JSONValue] = [:]
        for field in request.headers {
            let value = field.name == .authorization ? Self.redactAuthorization(field.value) : field.value
            headers[field.name.canonicalName] = .string(value)
        }
        let recorded: JSONValue = ["headers": .object(headers), "body": requestBody ?? .null]
        var path = request.uri.path
        if let query = request.uri.query { path += "?" + query }
        sink.record(.http(HTTPRecord(
            sessionID: sessionID, method: request.method.rawValue, path: path, status: status.code,
            request: recorded.jsonString, response: response.jsonString, t: MonotonicClock.now())))
    }

    /// `Bot TOKEN` → `Bot redacted:…`.
    static func redactAuthorization(_ value: String) -> String {
        guard let space = value.firstIndex(of: " ") else { return Redaction.redact(value) }
        return value[..<space] + " " + Redaction.redact(String(value[value.index(after: space)...]))
    }

    /// The gateway URL as the client reached this server (its `Host` header), with no query string.
    private func gatewayURL(_ request: Request) -> String { state.gatewayURL(authority: request.head.authority) }

    private func session(for request: Request) -> BotSession? {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bot ") else { return nil }
        let token = String(authorization.dropFirst(4))
        return state.registry.session(forToken: token, autoCreate: false, fixture: state.configuration.fixture)
    }

    private func fixture(for request: Request) -> Fixture { session(for: request)?.fixture ?? state.configuration.fixture }
}


/// Turns unmatched `/api/...` routes (not the control API) into Discord's unknown-route 404.
struct UnknownRouteMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let routes: RESTRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/api" || path.hasPrefix("/api/"), !path.hasPrefix("/api/control") else {
            return try await next(request, context)
        }
        do {
            let response = try await next(request, context)
            return response.status == .notFound ? await routes.notFound(request) : response
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            return await routes.notFound(request)
        }
    }
}
