import GatewayModel
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON in and out of HTTP handlers: responses with exactly `Content-Type: application/json`,
/// request bodies parsed with errors that name the bad field.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status = .ok, _ body: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body.jsonBytes)))
    }

    /// `{error}` with a status (the control API's error shape).
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        make(status, ["error": .string(message)])
    }
}

/// A request body that could not be used; `message` names the field.
struct BadRequest: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension Request {
    /// The body as a JSON object (control API); an empty body is `{}`.
    func jsonObject() async throws -> JSONValue {
        let value = try await json(empty: [:])
        guard case .object = value else { throw BadRequest("body: must be a JSON object") }
        return value
    }

    /// The body as a JSON array (PUT of application commands).
    func jsonArray() async throws -> JSONValue {
        let value = try await json(empty: [])
        guard case .array = value else { throw BadRequest("body: must be a JSON array") }
        return value
    }

    /// The body parsed as JSON (at most 1 MiB); `empty` for an empty body.
    private func json(empty: JSONValue, limit: Int = 1 << 20) async throws -> JSONValue {
        var request = self
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch { throw BadRequest("body: larger than \(limit) bytes") }
        if buffer.readableBytes == 0 { return empty }
        guard let value = try? JSONValue(parsing: buffer.readableBytesView) else { throw BadRequest("body: not valid JSON") }
        return value
    }
}
