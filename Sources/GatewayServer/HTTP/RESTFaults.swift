import GatewayModel
import Synchronization

/// An injected REST answer (control API `rest-faults`): the next `count` calls that match `method`
/// and `route` get `status` instead of the world's answer, after `delayMs`.
public struct RESTFault: Sendable, Equatable {
    public var id: Int64
    /// Only calls of this method (nil: any).
    public var method: String?
    /// Only calls of this route: a template, `METHOD /template`, or a path with `*` wildcards (nil: any).
    public var route: String?
    public var status: Int
    /// How many calls it still answers.
    public var count: Int
    /// Seconds a 429 tells the client to wait.
    public var retryAfter: Double
    /// A global 429 (`X-RateLimit-Global: true`, `X-RateLimit-Scope: global`).
    public var global: Bool
    /// The answer's body (default: Discord's body for the status).
    public var body: JSONValue?
    /// Milliseconds to wait before answering (a slow Discord).
    public var delayMs: Int?

    public init(
        id: Int64 = 0, method: String? = nil, route: String? = nil, status: Int, count: Int = 1, retryAfter: Double = 1,
        global: Bool = false, body: JSONValue? = nil, delayMs: Int? = nil
    ) {
        self.id = id; self.method = method; self.route = route; self.status = status; self.count = count
        self.retryAfter = retryAfter; self.global = global; self.body = body; self.delayMs = delayMs
    }

    /// A `rest-faults` body that cannot be used; `message` names the field.
    public struct BodyError: Error, Equatable {
        public var message: String
    }

    /// A fault from a `rest-faults` body (control API, scenarios):
    /// `{method?, route?, status, count?, retry_after?, global?, body?, delay_ms?}`.
    public init(body: JSONValue) throws(BodyError) {
        guard case .int(let status)? = body["status"], (100...599).contains(status) else {
            throw BodyError(message: "status: required, an HTTP status from 100 to 599 (e.g. 429)")
        }
        func string(_ field: String) throws(BodyError) -> String? {
            switch body[field] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw BodyError(message: "\(field): must be a string")
            }
        }
        self.init(method: try string("method")?.uppercased(), route: try string("route"), status: Int(status))
        if let count = body["count"], count != .null {
            guard case .int(let value) = count, value >= 1 else { throw BodyError(message: "count: must be a positive integer") }
            self.count = Int(value)
        }
        if let retry = body["retry_after"], retry != .null {
            let seconds: Double? = switch retry { case .int(let value): Double(value); case .double(let value): value; default: nil }
            guard let seconds, seconds >= 0 else { throw BodyError(message: "retry_after: must be a number of seconds, 0 or more") }
            retryAfter = seconds
        }
        switch body["global"] {
        case nil, .null?: break
        case .bool(let value)?: global = value
        default: throw BodyError(message: "global: must be true or false")
        }
        if let answer = body["body"], answer != .null { self.body = answer }
        if let delay = body["delay_ms"], delay != .null {
            guard case .int(let value) = delay, value >= 0 else { throw BodyError(message: "delay_ms: must be a non-negative integer of milliseconds") }
            delayMs = Int(value)
        }
    }

    /// The control API's JSON form.
    public var json: JSONValue {
        [
            "id": .int(id), "method": method.map { .string($0) } ?? .null, "route": route.map { .string($0) } ?? .null,
            "status": .int(Int64(status)), "count": .int(Int64(count)), "retry_after": .double(retryAfter), "global": .bool(global),
            "body": body ?? .null, "delay_ms": delayMs.map { .int(Int64($0)) } ?? .null,
        ]
    }

    /// The answer's body: `body`, or Discord's for the status.
    var answerBody: JSONValue {
        if let body { return body }
        if status == 429 { return ["message": "You are being rate limited.", "retry_after": .double(retryAfter), "global": .bool(global)] }
        return ["message": .string("\(status): \(Self.reason(status))"), "code": 0]
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Error"
        }
    }
}

/// A session's pending REST faults, oldest first.
final class RESTFaultQueue: Sendable {
    private let faults = Mutex<[RESTFault]>([])

    func add(_ fault: RESTFault) { faults.withLock { $0.append(fault) } }
    var pending: [RESTFault] { faults.withLock { $0 } }
    func clear() { faults.withLock { $0.removeAll() } }

    /// Uses up one answer of the first fault that matches the call.
    func take(method: String, route: String?, path: String) -> RESTFault? {
        faults.withLock { faults in
            guard let index = faults.firstIndex(where: { fault in
                (fault.method.map { $0.uppercased() == method } ?? true)
                    && (fault.route.map { RESTFilter.matches($0, route: route, method: method, path: path) } ?? true)
            }) else { return nil }
            let fault = faults[index]
            faults[index].count -= 1
            if faults[index].count <= 0 { faults.remove(at: index) }
            return fault
        }
    }
}
