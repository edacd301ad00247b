import GatewayModel
import GatewayWorld
import GatewayScenario
import HTTPTypes
import Hummingbird
import NIOCore

/// The control API (SPEC §5) under `/api/control`, each call mapped onto a `GatewayServer` operation,
/// plus `GET /healthz`. Errors are `{error}` JSON: 400 naming the bad field, 404 for an unknown session,
/// 401 without the `--control-token` bearer token.
struct ControlRoutes {
    let server: GatewayServer

    func register(on router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in JSONResponse.make(.ok, ["ok": true]) }
        let control = router.group("api/control").add(middleware: ControlAuthMiddleware(token: server.configuration.controlToken))

        control.post("sessions") { request, _ in
            try await handle {
                let body = try await request.jsonObject()
                let name = try JSONField.optionalString(body, "name")
                let token = try JSONField.optionalString(body, "token")
                var fixture: Fixture?
                if let document = body["fixture"], document != .null {
                    do throws(FixtureError) { fixture = try Fixture(json: document) } catch { throw BadRequest("fixture." + error.description) }
                }
                let created: (id: String, token: String)
                do throws(GatewayServerError) { created = try server.createSession(name: name, token: token, fixture: fixture) } catch {
                    throw BadRequest(error.description)
                }
                return JSONResponse.make(.created, ["id": .string(created.id), "token": .string(created.token)])
            }
        }
        control.get("sessions") { _, _ in
            let sessions = server.sessions().map { summary -> JSONValue in
                ["id": .string(summary.id), "name": summary.name.map { .string($0) } ?? .null, "connections": .int(Int64(summary.connections))]
            }
            return JSONResponse.make(.ok, .array(sessions))
        }
        control.get("sessions/:id") { _, context in
            try await withSession(context) { id in
                guard let details = server.sessionDetails(id) else { throw UnknownSession(id: id) }
                let connections = details.connections.map { connection -> JSONValue in
                    [
                        "gateway_session_id": connection.gatewaySessionID.map { .string($0) } ?? .null,
                        "shard": connection.shard.map { .array($0.map { .int(Int64($0)) }) } ?? .null,
                        "seq": .int(connection.seq), "intents": connection.intents.map { .int(Int64($0)) } ?? .null,
                        "identified": .bool(connection.identified), "open": .bool(connection.open),
                        "query": .string(connection.query), "compress": connection.compress.map { .string($0) } ?? .null,
                    ]
                }
                let flags: JSONValue = server.controlFlags(for: id).map { ["stop_acks": .bool($0.stopHeartbeatAcks)] } ?? [:]
                return JSONResponse.make(.ok, [
                    "id": .string(id), "name": details.name.map { .string($0) } ?? .null,
                    "connections": .array(connections), "flags": flags,
                ])
            }
        }
        control.delete("sessions/:id") { _, context in
            try await withSession(context) { id in
                server.deleteSession(id)
                return JSONResponse.make(.ok, ["deleted": true])
            }
        }
        control.post("sessions/:id/dispatch") { request, context in
            if server.isProxy { return Self.upstreamOwnsSequence("dispatch") }
            return try await perform("dispatch", request, context) { delivered, _ in ["delivered": .int(Int64(delivered))] }
        }
        control.post("sessions/:id/disconnect") { request, context in
            try await perform("disconnect", request, context) { count, _ in ["disconnected": .int(Int64(count))] }
        }
        control.post("sessions/:id/invalidate") { request, context in
            try await perform("invalidate", request, context) { _, _ in ["invalidated": true] }
        }
        control.post("sessions/:id/heartbeat/stop-acks") { request, context in
            try await perform("stop_acks", request, context) { _, action in
                guard case .stopAcks(let stop) = action else { return [:] }
                return ["stop_acks": .bool(stop), "session_id": .string(context.parameters.get("id") ?? "")]
            }
        }
        control.get("sessions/:id/flags") { _, context in
            try await withSession(context) { id in
                guard let flags = server.controlFlags(for: id) else { return JSONResponse.error(.notFound, "no flags are set on session \(id)") }
                return JSONResponse.make(.ok, ["stop_acks": .bool(flags.stopHeartbeatAcks)])
            }
        }
        control.delete("sessions/:id/flags") { _, context in
            try await withSession(context) { id in
                server.clearControlFlags(id)
                return JSONResponse.make(.ok, ["cleared": true])
            }
        }
        control.post("sessions/:id/reconnect") { request, context in
            try await perform("reconnect", request, context) { sent, _ in ["sent": .int(Int64(sent))] }
        }
        control.post("sessions/:id/invalid-session") { request, context in
            try await perform("invalid_session", request, context) { sent, _ in ["sent": .int(Int64(sent))] }
        }
        control.post("sessions/:id/heartbeat/request") { request, context in
            try await perform("heartbeat_request", request, context) { sent, _ in ["sent": .int(Int64(sent))] }
        }
        control.post("sessions/:id/drop") { request, context in
            try await perform("drop", request, context) { dropped, _ in ["dropped": .int(Int64(dropped))] }
        }
        control.post("sessions/:id/scenario") { request, context in
            try await withSession(context) { id in
                let body = try await request.jsonObject()
                let scenario: Scenario
                do throws(ScenarioError) {
                    scenario = try Scenario(json: body)
                    if server.isProxy { try scenario.checkForProxy() }
                } catch {
                    throw BadRequest(error.description)
                }
                let rules = server.armScenario(scenario, on: id) ?? 0
                return JSONResponse.make(.ok, ["rules": .int(Int64(rules))])
            }
        }
        control.delete("sessions/:id/scenario") { _, context in
            try await withSession(context) { id in
                server.disarmScenario(id)
                return JSONResponse.make(.ok, ["rules": 0])
            }
        }
        control.get("heartbeat-interval") { _, _ in JSONResponse.make(.ok, ["interval": .int(Int64(server.heartbeatInterval))]) }
        control.put("heartbeat-interval") { request, _ in
            try await handle {
                let body = try await request.jsonObject()
                guard case .int(let interval)? = body["interval"], interval >= 1 else {
                    throw BadRequest("interval: required, a positive integer of milliseconds")
                }
                server.heartbeatInterval = Int(interval)
                return JSONResponse.make(.ok, ["interval": .int(interval)])
            }
        }
        control.get("connections") { _, _ in JSONResponse.make(.ok, ["count": .int(Int64(server.connectionCount))]) }
        registerREST(on: control)
    }

    /// Interactions, actions, channel messages and REST faults.
    private func registerREST(on control: RouterGroup<BasicRequestContext>) {
        control.post("sessions/:id/interactions") { request, context in
            if server.isProxy { return Self.upstreamOwnsSequence("interactions") }
            return try await withSession(context) { id in
                let body = try await request.jsonObject()
                do throws(InteractionRequestError) {
                    let created = try server.createInteraction(id, request: body)
                    return JSONResponse.make(.created, ["id": .string(created.id), "token": .string(created.token), "delivered": .int(Int64(created.delivered))])
                } catch {
                    throw BadRequest(error.message)
                }
            }
        }
        control.get("sessions/:id/interactions/:interaction") { request, context in
            try await withSession(context) { id in
                let wait = try queryInt(request, "wait") ?? 0
                let interactionID = context.parameters.get("interaction") ?? ""
                guard let status = await server.interaction(id, id: interactionID, waitMilliseconds: wait) else {
                    return JSONResponse.error(.notFound, "unknown interaction: \(interactionID)")
                }
                return JSONResponse.make(.ok, status)
            }
        }
        control.get("sessions/:id/actions") { request, context in
            try await withSession(context) { id in
                let query = request.uri.query.map(RESTRoute.queryParameters) ?? [:]
                let after = try queryInt(request, "after").map(Int64.init)
                let wait = try queryInt(request, "wait") ?? 0
                let actions = await server.actions(id, after: after, method: query["method"], route: query["route"], waitMilliseconds: wait)
                return JSONResponse.make(.ok, .array(actions.map(\.json)))
            }
        }
        control.get("sessions/:id/channels/:channel/messages") { _, context in
            try await withSession(context) { id in
                let channel = context.parameters.get("channel") ?? ""
                guard let messages = server.channelMessages(id, channelID: channel) else {
                    return JSONResponse.error(.notFound, "unknown channel: \(channel)")
                }
                return JSONResponse.make(.ok, messages)
            }
        }
        control.post("sessions/:id/rest-faults") { request, context in
            try await withSession(context) { id in
                let body = try await request.jsonObject()
                let fault: RESTFault
                do throws(RESTFault.BodyError) { fault = try RESTFault(body: body) } catch { throw BadRequest(error.message) }
                let faultID = server.addRESTFault(id, fault) ?? 0
                return JSONResponse.make(.created, ["id": .int(faultID)])
            }
        }
        control.get("sessions/:id/rest-faults") { _, context in
            try await withSession(context) { id in JSONResponse.make(.ok, .array(server.restFaults(id).map(\.json))) }
        }
        control.delete("sessions/:id/rest-faults") { _, context in
            try await withSession(context) { id in
                server.clearRESTFaults(id)
                return JSONResponse.make(.ok, ["cleared": true])
            }
        }
    }

    /// An integer query parameter (`?wait=500`).
    private func queryInt(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.query.map(RESTRoute.queryParameters)?[name] else { return nil }
        guard let value = Int(text), value >= 0 else { throw BadRequest("\(name): must be a non-negative integer") }
        return value
    }

    private struct UnknownSession: Error { let id: String }

    /// Runs a control call by its action name: the body is parsed as a scenario's action body would be,
    /// performed on every connection of the session, and answered with `answer(count, action)`.
    private func perform(
        _ name: String, _ request: Request, _ context: BasicRequestContext, answer: (Int, ControlAction) -> JSONValue
    ) async throws -> Response {
        try await withSession(context) { id in
            let action = try ControlAction(name: name, body: try await request.jsonObject())
            let count = server.perform(action, onSession: id) ?? 0
            return JSONResponse.make(.ok, answer(count, action))
        }
    }

    /// 409 for the calls that make events in proxy mode: the upstream owns sequence numbers.
    static func upstreamOwnsSequence(_ call: String) -> Response {
        JSONResponse.error(.conflict, "\(call): \(ControlAction.proxyRefusal)")
    }

    /// Runs a session-scoped call: 404 for an unknown session, 400 for a bad body.
    private func withSession(_ context: BasicRequestContext, _ body: (String) async throws -> Response) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard server.hasSession(id) else { return JSONResponse.error(.notFound, "unknown session: \(id)") }
        return try await handle { try await body(id) }
    }

    private func handle(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as BadRequest {
            return JSONResponse.error(.badRequest, error.message)
        } catch let error as FieldError {
            return JSONResponse.error(.badRequest, error.description)
        } catch let error as UnknownSession {
            return JSONResponse.error(.notFound, "unknown session: \(error.id)")
        }
    }
}

/// With `--control-token`, every control call needs `Authorization: Bearer TOKEN`.
struct ControlAuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token, request.headers[.authorization] != "Bearer " + token {
            return JSONResponse.error(.unauthorized, "Authorization: missing or wrong bearer token (start the server with --control-token and send Authorization: Bearer TOKEN)")
        }
        return try await next(request, context)
    }
}
