import Foundation
import GatewayModel

/// One decoded line of an export file (see `RecordingExporter` for the format).
enum ExportLine: Decodable {
    case header(format: String, version: Int64?, session: String?, meta: [String: String?]?)
    case session(StoredSession)
    case connection(StoredConnection)
    case frame(StoredFrame)
    case control(StoredControl)
    case http(StoredHTTPCall)

    private enum Key: String, CodingKey {
        case kind, format, version, session, meta
        case id, name, token_sha256, created_ns
        case session_id, gateway_session_id, shard_id, shard_count, opened_ns, closed_ns, close_code, close_reason
        case closed_by, query
        case connection_id, t_ns, direction, op, seq, event, wire_bytes, payload, payload_base64
        case action, args
        case method, path, status, request, response
    }

    /// Thrown for content that is valid JSON but not a valid line.
    struct Invalid: Error {
        var message: String
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let kind = try c.decode(String.self, forKey: .kind)
        func required<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
            guard let value = try c.decodeIfPresent(type, forKey: key) else {
                throw Invalid(message: "a \(kind) line needs \"\(key.rawValue)\"")
            }
            return value
        }
        switch kind {
        case "meta":
            self = .header(
                format: try required(String.self, .format), version: try c.decodeIfPresent(Int64.self, forKey: .version),
                session: try c.decodeIfPresent(String.self, forKey: .session),
                meta: try c.decodeIfPresent([String: String?].self, forKey: .meta))
        case "session":
            self = .session(
                StoredSession(
                    id: try required(String.self, .id), name: try c.decodeIfPresent(String.self, forKey: .name),
                    tokenSHA256: try c.decodeIfPresent(String.self, forKey: .token_sha256),
                    createdNs: try c.decodeIfPresent(Int64.self, forKey: .created_ns)))
        case "connection":
            self = .connection(
                StoredConnection(
                    id: try required(Int64.self, .id), sessionID: try c.decodeIfPresent(String.self, forKey: .session_id),
                    gatewaySessionID: try c.decodeIfPresent(String.self, forKey: .gateway_session_id),
                    shardID: try c.decodeIfPresent(Int.self, forKey: .shard_id),
                    shardCount: try c.decodeIfPresent(Int.self, forKey: .shard_count),
                    openedNs: try c.decodeIfPresent(Int64.self, forKey: .opened_ns),
                    closedNs: try c.decodeIfPresent(Int64.self, forKey: .closed_ns),
                    closeCode: try c.decodeIfPresent(Int.self, forKey: .close_code),
                    closeReason: try c.decodeIfPresent(String.self, forKey: .close_reason),
                    closedBy: try c.decodeIfPresent(String.self, forKey: .closed_by),
                    query: try c.decodeIfPresent(String.self, forKey: .query)))
        case "frame":
            let directionText = try required(String.self, .direction)
            guard let direction = FrameDirection(rawValue: directionText) else {
                throw Invalid(message: "direction must be \"in\" or \"out\", not \"\(directionText)\"")
            }
            let payload: [UInt8]
            if let text = try c.decodeIfPresent(String.self, forKey: .payload) {
                payload = Array(text.utf8)
            } else if let base64 = try c.decodeIfPresent(String.self, forKey: .payload_base64) {
                guard let bytes = Data(base64Encoded: base64).map(Array.init) else { throw Invalid(message: "payload_base64 is not base64") }
                payload = bytes
            } else {
                throw Invalid(message: "a frame line needs \"payload\"")
            }
            self = .frame(
                StoredFrame(
                    id: try required(Int64.self, .id), connectionID: try c.decodeIfPresent(Int64.self, forKey: .connection_id),
                    sessionID: try c.decodeIfPresent(String.self, forKey: .session_id),
                    tNs: try required(Int64.self, .t_ns), direction: direction,
                    op: try c.decodeIfPresent(Int.self, forKey: .op), seq: try c.decodeIfPresent(Int64.self, forKey: .seq),
                    event: try c.decodeIfPresent(String.self, forKey: .event), payload: payload,
                    wireBytes: try c.decodeIfPresent(Int.self, forKey: .wire_bytes)))
        case "control":
            self = .control(
                StoredControl(
                    id: try required(Int64.self, .id), sessionID: try c.decodeIfPresent(String.self, forKey: .session_id),
                    tNs: try required(Int64.self, .t_ns), action: try required(String.self, .action),
                    args: try c.decodeIfPresent(String.self, forKey: .args)))
        case "http":
            self = .http(
                StoredHTTPCall(
                    id: try required(Int64.self, .id), sessionID: try c.decodeIfPresent(String.self, forKey: .session_id),
                    tNs: try required(Int64.self, .t_ns), method: try required(String.self, .method),
                    path: try required(String.self, .path), status: try c.decodeIfPresent(Int.self, forKey: .status),
                    request: try c.decodeIfPresent(String.self, forKey: .request),
                    response: try c.decodeIfPresent(String.self, forKey: .response)))
        default:
            throw Invalid(message: "unknown kind \"\(kind)\"")
        }
    }
}
