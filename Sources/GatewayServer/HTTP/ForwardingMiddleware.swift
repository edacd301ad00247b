import Foundation
import GatewayModel
import GatewayWorld
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// Proxy mode (SPEC §10): every `/api` call except the control API goes to the upstream, and is
/// recorded with the upstream's real status, headers and body. A `Bot` token makes (or finds) the
/// bot's session, as its IDENTIFY does; a call of a route of the REST subset is a scenario's `rest` event.
struct ForwardingMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Bodies up to this size are forwarded (Discord's own attachment limit is lower).
    static let maxBodySize = 100 << 20

    let server: GatewayServer
    let upstream: any GatewayUpstream
    private var state: GatewayState { server.state }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/api" || path.hasPrefix("/api/"), !path.hasPrefix("/api/control") else {
            return try await next(request, context)
        }
        let t = MonotonicClock.now()
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: Self.maxBodySize) } catch {
            return JSONResponse.make(.contentTooLarge, ["message": .string("body: larger than \(Self.maxBodySize) bytes"), "code": 0])
        }
        let session = botSession(for: request)
        var headers = HTTPHeaders()
        for field in request.headers { headers.add(name: field.name.rawName, value: field.value) }
        var target = path
        if let query = request.uri.query { target += "?" + query }
        let method = request.method.rawValue
        let known = try? RESTRoute.match(method: method, path: path).get().route
        let route = known?.name
        // Scenario rules on this call fire first (SPEC §9), so a rule's rest fault answers this very call.
        if let session, let known { server.observeRESTCall(sessionID: session.id, method: method, route: known.template) }
        let answer: UpstreamResponse
        // REST faults (`rest-faults`, SPEC §5) armed for the bot's session answer here, instead of the upstream.
        if let session, let fault = session.restFaults.take(method: method, route: route, path: target) {
            let injected = await RESTRoutes.injectedAnswer(fault, sessionID: session.id, path: target, state: state)
            var faultHeaders = HTTPHeaders([("Content-Type", "application/json")])
            for field in injected.headers { faultHeaders.add(name: field.name.rawName, value: field.value) }
            answer = UpstreamResponse(status: injected.status, headers: faultHeaders, body: ByteBuffer(bytes: injected.body.jsonBytes))
        } else {
            answer = await upstream.forward(UpstreamRequest(
                method: method, path: target, headers: headers, body: body, gatewayURL: state.gatewayURL(authority: request.head.authority)))
        }
        record(request, target: target, route: route, sessionID: session?.id, body: body, answer: answer, t: t)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        // As the server's own REST answers: a client that pools connections opens a fresh one for the upgrade.
        fields[.connection] = "close"
        return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: answer.body))
    }

    private func botSession(for request: Request) -> BotSession? {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bot ") else { return nil }
        return state.registry.session(forToken: String(authorization.dropFirst(4)), autoCreate: true, fixture: state.configuration.fixture)
    }

    /// The call as SPEC §7 records it: secrets redacted, bodies as JSON where they are JSON.
    private func record(_ request: Request, target: String, route: String?, sessionID: String?, body: ByteBuffer, answer: UpstreamResponse, t: UInt64) {
        guard let sink = state.trafficSink else { return }
        var requestHeaders: [String: JSONValue] = [:]
        for field in request.headers {
            let value = field.name == .authorization ? RESTRoutes.redactAuthorization(field.value) : field.value
            requestHeaders[field.name.canonicalName] = .string(value)
        }
        let recorded: JSONValue = [
            "headers": .object(requestHeaders), "body": RecordedBody.value(of: body, contentType: request.headers[.contentType]),
        ]
        var responseHeaders: [String: JSONValue] = [:]
        for (name, value) in answer.headers {
            let key = name.lowercased()
            responseHeaders[key] = .string(responseHeaders[key]?.stringValue.map { $0 + ", " + value } ?? value)
        }
        let response = RecordedBody.value(of: answer.body, contentType: answer.headers.first(name: "Content-Type"))
        sink.record(.http(HTTPRecord(
            sessionID: sessionID, method: request.method.rawValue, path: Redaction.redactPathTokens(target), status: answer.status,
            request: Redaction.redactTokenFields(in: recorded.jsonString), response: Redaction.redactTokenFields(in: response.jsonString),
            t: t, route: route, responseHeaders: JSONValue.object(responseHeaders).jsonString)))
    }
}

/// A REST body as a recording holds it: JSON as JSON, a multipart body as its `payload_json` plus
/// `files: [{filename, content_type, size}]`, other text as a string, nothing as null.
enum RecordedBody {
    static func value(of body: ByteBuffer, contentType: String?) -> JSONValue {
        guard body.readableBytes > 0 else { return .null }
        if let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = parameter("boundary", in: contentType[...]), !boundary.isEmpty
        {
            return multipart(body, boundary: boundary)
        }
        if let value = try? JSONValue(parsing: body.readableBytesView) { return value }
        return .string(String(decoding: body.readableBytesView, as: UTF8.self))
    }

    private static func multipart(_ body: ByteBuffer, boundary: String) -> JSONValue {
        let bytes = Array(body.readableBytesView)
        let delimiter = Array(("--" + boundary).utf8)
        var payload: JSONValue = .null
        var files: [JSONValue] = []
        var parts: [ArraySlice<UInt8>] = []
        var rest = bytes[...]
        while let start = rest.firstRange(of: delimiter) {
            rest = rest[start.upperBound...]
            guard let end = rest.firstRange(of: delimiter) else { break }
            parts.append(rest[..<end.lowerBound])
        }
        for part in parts {
            guard let split = part.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: part[..<split.lowerBound], as: UTF8.self)
            var content = part[split.upperBound...]
            if content.suffix(2).elementsEqual("\r\n".utf8) { content = content.dropLast(2) }
            let disposition = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-disposition") } ?? ""
            let name = parameter("name", in: disposition)
            if let filename = parameter("filename", in: disposition) {
                let type = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-type") }
                    .map { $0.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "" }
                files.append([
                    "filename": .string(filename), "content_type": type.map { .string($0) } ?? .null, "size": .int(Int64(content.count)),
                ])
            } else if name == "payload_json" {
                payload = (try? JSONValue(parsing: content)) ?? .string(String(decoding: content, as: UTF8.self))
            }
        }
        if case .object(var object) = payload {
            object["files"] = .array(files)
            return .object(object)
        }
        return ["payload_json": payload, "files": .array(files)]
    }

    private static func parameter(_ name: String, in header: Substring) -> String? {
        for piece in header.split(separator: ";") {
            let kv = piece.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == name else { continue }
            return kv[1].trimmingCharacters(in: .init(charactersIn: "\" "))
        }
        return nil
    }
}
