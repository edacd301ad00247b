import GatewayModel
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
                let name = try optionalString(body, "name")
                let token = try optionalString(body, "token")
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
            try await withSession(context) { id in
                if server.isProxy { return Self.upstreamOwnsSequence("dispatch") }
                let body = try await request.jsonObject()
                guard let event = body["event"]?.stringValue, !event.isEmpty else { throw BadRequest("event: required, a dispatch name such as MESSAGE_CREATE") }
                guard let data = body["data"], data != .null else { throw BadRequest("data: required, the event's d object") }
                let guildID = try optionalSnowflake(body, "guild_id")
                let delivered = server.dispatchToSession(id, event: event, data: data, guildID: guildID)
                return JSONResponse.make(.ok, ["delivered": .int(Int64(delivered))])
            }
        }
        control.post("sessions/:id/disconnect") { request, context in
            try await withSession(context) { id in
                let body = try await request.jsonObject()
                guard let code = body["code"]?.int64Value, body["code"]?.stringValue == nil, (1000...4999).contains(code) else {
                    throw BadRequest("code: required, an integer close code from 1000 to 4999")
                }
                let reason = try optionalString(body, "reason")
                let count = server.disconnectSession(id, closeCode: UInt16(code), reason: reason)
                return JSONResponse.make(.ok, ["disconnected": .int(Int64(count))])
            }
        }
        control.post("sessions/:id/invalidate") { _, context in
            try await withSession(context) { id in
                JSONResponse.make(.ok, ["invalidated": .bool(server.invalidateSession(id))])
            }
        }
        control.post("sessions/:id/heartbeat/stop-acks") { request, context in
            try await withSession(context) { id in
                let body = try await request.jsonObject()
                let stop = try optionalBool(body, "stop") ?? true
                server.setStopHeartbeatAcks(id, stop: stop)
                return JSONResponse.make(.ok, ["stop_acks": .bool(stop), "session_id": .string(id)])
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
        control.post("sessions/:id/reconnect") { _, context in
            try await withSession(context) { id in JSONResponse.make(.ok, ["sent": .int(Int64(server.sendReconnect(id)))]) }
        }
        control.post("sessions/:id/invalid-session") { request, context in
            try await withSession(context) { id in
                let body = try await request.jsonObject()
                guard let resumable = try optionalBool(body, "resumable") else { throw BadRequest("resumable: required, true or false") }
                return JSONResponse.make(.ok, ["sent": .int(Int64(server.sendInvalidSession(id, resumable: resumable)))])
            }
        }
        control.post("sessions/:id/heartbeat/request") { _, context in
            try await withSession(context) { id in JSONResponse.make(.ok, ["sent": .int(Int64(server.requestHeartbeat(id)))]) }
        }
        control.post("sessions/:id/drop") { _, context in
            try await withSession(context) { id in JSONResponse.make(.ok, ["dropped": .int(Int64(server.dropConnections(id)))]) }
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
    }

    private struct UnknownSession: Error { let id: String }

    /// 409 for the calls that make events in proxy mode: the upstream owns sequence numbers.
    static func upstreamOwnsSequence(_ call: String) -> Response {
        JSONResponse.error(.conflict, "\(call): not available in proxy mode (the upstream owns the session's events and sequence numbers)")
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
        } catch let error as UnknownSession {
            return JSONResponse.error(.notFound, "unknown session: \(error.id)")
        }
    }

    private func optionalString(_ body: JSONValue, _ field: String) throws -> String? {
        switch body[field] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw BadRequest("\(field): must be a string")
        }
    }

    private func optionalBool(_ body: JSONValue, _ field: String) throws -> Bool? {
        switch body[field] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw BadRequest("\(field): must be true or false")
        }
    }

    private func optionalSnowflake(_ body: JSONValue, _ field: String) throws -> String? {
        switch body[field] {
        case nil, .null?: return nil
        case let value?:
            guard let id = value.snowflake else { throw BadRequest("\(field): must be a snowflake string") }
            return String(id)
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
