import GatewayModel
import GatewayWorld
import NIOCore
import Synchronization

/// One REST call a bot made, as the control API's `actions` lists it.
public struct RESTAction: Sendable, Equatable {
    /// Increasing; the `http.id` of the call when recording.
    public var id: Int64
    /// Nanoseconds since the server started, when the request arrived.
    public var t: UInt64
    public var method: String
    /// Path and query as the client sent them.
    public var path: String
    /// The route template (`POST /channels/{channel.id}/messages`), nil for an unknown route.
    public var route: String?
    public var status: Int
    /// The request's JSON body (a multipart or form body's `payload_json`), nil without one.
    public var request: JSONValue? { requestText.flatMap { try? JSONValue(parsing: $0) } }
    /// The answer's body, nil without one.
    public var response: JSONValue? { responseText.flatMap { try? JSONValue(parsing: $0) } }
    /// The bodies are kept as JSON text: a session logs up to 10,000 calls, and text takes about a fifth
    /// of the memory of parsed values (`gateway-bench soak`).
    let requestText: [UInt8]?
    let responseText: [UInt8]?

    /// The control API's JSON form.
    public var json: JSONValue {
        [
            "id": .int(id), "t_ns": .int(Int64(t)), "method": .string(method), "path": .string(path),
            "route": route.map { .string($0) } ?? .null, "status": .int(Int64(status)), "request": request ?? .null,
            "response": response ?? .null,
        ]
    }
}

/// A session's REST calls, oldest first, with a long-poll for tests that wait for the bot's action.
final class ActionLog: Sendable {
    /// Calls kept (the oldest are dropped beyond it; a ring, so dropping one moves nothing).
    static let capacity = 10_000
    /// Made on the first call: a session that never calls REST (thousands of CI sessions may share a
    /// server) costs no buffer.
    private let actions = Mutex<CircularBuffer<RESTAction>?>(nil)
    private let changes = ChangeNotifier()

    func append(_ action: RESTAction) {
        actions.withLock { actions in
            if actions == nil { actions = CircularBuffer(initialCapacity: 64) }
            if actions!.count >= Self.capacity { actions!.removeFirst() }
            actions!.append(action)
        }
        changes.notify()
    }

    /// The calls after `after` (an id) of `method` and `route` (a template, `METHOD /template` or a path
    /// with `*` wildcards), waiting up to `wait` ms for at least one.
    func list(after: Int64?, method: String?, route: String?, wait: Int?) async -> [RESTAction] {
        let matching = { () -> [RESTAction]? in
            let found = self.actions.withLock { actions -> [RESTAction] in
                (actions ?? []).filter { action in
                    action.id > (after ?? 0) && (method.map { $0.uppercased() == action.method } ?? true)
                        && (route.map { RESTFilter.matches($0, route: action.route, method: action.method, path: action.path) } ?? true)
                }
            }
            return found.isEmpty ? nil : found
        }
        guard let wait, wait > 0 else { return matching() ?? [] }
        return await changes.wait(milliseconds: wait, until: matching) ?? []
    }
}

/// How `route` filters of the actions log and rest faults match a call.
enum RESTFilter {
    /// `METHOD /template` compares with the route's name, `/template` (with `{…}`) with its template,
    /// anything else is a path pattern (`*` matches any run of characters) over the path without its
    /// `/api/vN` prefix and query.
    static func matches(_ filter: String, route: String?, method: String, path: String) -> Bool {
        if filter.contains(" ") { return filter.uppercasedMethod == route }
        if filter.contains("{") { return route.map { $0.hasSuffix(" " + filter) } ?? false }
        return glob(Array(filter.utf8)[...], Array(RESTRoute.normalizedPath(path).utf8)[...])
    }

    private static func glob(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return text.isEmpty }
        if first == UInt8(ascii: "*") {
            let rest = pattern.dropFirst()
            var tail = text
            while true {
                if glob(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        }
        guard let head = text.first, head == first else { return false }
        return glob(pattern.dropFirst(), text.dropFirst())
    }
}

private extension String {
    /// `post /x` → `POST /x`.
    var uppercasedMethod: String {
        guard let space = firstIndex(of: " ") else { return self }
        return self[..<space].uppercased() + self[space...]
    }
}
