import GatewayCompression
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
    /// The bodies as JSON text, parsed only when asked for (the log keeps them packed: `PackedAction`).
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
    private let actions = Mutex<CircularBuffer<PackedAction>?>(nil)
    private let changes = ChangeNotifier()

    func append(_ action: RESTAction) {
        let packed = PackedAction(action)
        actions.withLock { actions in
            if actions == nil { actions = CircularBuffer(initialCapacity: 64) }
            if actions!.count >= Self.capacity { actions!.removeFirst() }
            actions!.append(packed)
        }
        changes.notify()
    }

    /// The calls after `after` (an id) of `method` and `route` (a template, `METHOD /template` or a path
    /// with `*` wildcards), waiting up to `wait` ms for at least one.
    func list(after: Int64?, method: String?, route: String?, wait: Int?) async -> [RESTAction] {
        let method = method?.uppercased()
        let matching = { () -> [RESTAction]? in
            let candidates = self.actions.withLock { actions -> [PackedAction] in
                (actions ?? []).filter { packed in packed.id > (after ?? 0) && (method.map { $0 == packed.method } ?? true) }
            }
            // Unpacked outside the lock, so the bot's calls are not held up by a long list; a path is
            // inflated only for a path pattern.
            let found = candidates.filter { packed in
                route.map { RESTFilter.matches($0, route: packed.route, method: packed.method, path: packed.unpacked.path) } ?? true
            }
            return found.isEmpty ? nil : found.map(\.unpacked)
        }
        guard let wait, wait > 0 else { return matching() ?? [] }
        return await changes.wait(milliseconds: wait, until: matching) ?? []
    }
}

/// A logged call as the log keeps it: its path and bodies in one buffer, deflated with a dictionary of
/// what REST calls usually say. A session keeps up to 10,000 calls and a server may hold thousands of
/// sessions, so this is what keeps a long run's memory flat: a message posted with its 509-byte
/// answer packs into 79 bytes of its 579, where the plain strings and arrays took about 0.6 KB
/// (`gateway-bench soak`: RSS +12 % over 10 minutes before, +1 % after).
struct PackedAction: Sendable {
    let id: Int64
    let t: UInt64
    let method: String
    /// A route's name is a literal: no storage of its own.
    let route: String?
    let status: Int
    /// `[deflated? 1 : 0]` and the lengths of the path, request and response (LEB128; a body's length
    /// plus one, 0 for none), then the three, deflated when that is shorter.
    private let bytes: [UInt8]

    private static let compressor = DictionaryCompressor(dictionary: Array(ActionDictionary.text.utf8))

    init(_ action: RESTAction) {
        id = action.id; t = action.t; method = action.method; route = action.route; status = action.status
        var header: [UInt8] = [0]
        Self.appendLength(action.path.utf8.count, to: &header)
        Self.appendLength(action.requestText.map { $0.count + 1 } ?? 0, to: &header)
        Self.appendLength(action.responseText.map { $0.count + 1 } ?? 0, to: &header)
        let plain = Array(action.path.utf8) + (action.requestText ?? []) + (action.responseText ?? [])
        if let deflated = plain.withUnsafeBytes({ Self.compressor.compress($0) }), deflated.count < plain.count {
            header[0] = 1
            bytes = header + deflated
        } else {
            bytes = header + plain
        }
    }

    /// Bytes the path and bodies take.
    var byteCount: Int { bytes.count }

    /// The call as it was logged.
    var unpacked: RESTAction {
        var offset = 1
        let pathCount = Self.readLength(bytes, &offset)
        let requestLength = Self.readLength(bytes, &offset)
        let responseLength = Self.readLength(bytes, &offset)
        let requestEnd = pathCount + max(requestLength - 1, 0)
        let count = requestEnd + max(responseLength - 1, 0)
        let text = bytes[offset...].withUnsafeBytes { rest in bytes[0] == 1 ? Self.compressor.decompress(rest, count: count) : Array(rest) }
        // Packed by `init`, so the lengths fit; only a failed inflate (no memory) leaves nothing to show.
        guard let text, text.count == count else {
            return RESTAction(id: id, t: t, method: method, path: "", route: route, status: status, requestText: nil, responseText: nil)
        }
        return RESTAction(
            id: id, t: t, method: method, path: String(decoding: text[..<pathCount], as: UTF8.self), route: route, status: status,
            requestText: requestLength == 0 ? nil : Array(text[pathCount..<requestEnd]),
            responseText: responseLength == 0 ? nil : Array(text[requestEnd...]))
    }

    private static func appendLength(_ value: Int, to bytes: inout [UInt8]) {
        var value = UInt64(value)
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func readLength(_ bytes: [UInt8], _ offset: inout Int) -> Int {
        var value = 0, shift = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            value |= Int(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return value
    }
}

/// How `route` filters of the actions log and rest faults match a call.
enum RESTFilter {
    /// `METHOD /template` compares with the route's name, `/template` (with `{…}`) with its template,
    /// anything else is a path pattern (`*` matches any run of characters) over the path without its
    /// `/api/vN` prefix and query.
    static func matches(_ filter: String, route: String?, method: String, path: @autoclosure () -> String) -> Bool {
        if filter.contains(" ") { return filter.uppercasedMethod == route }
        if filter.contains("{") { return route.map { $0.hasSuffix(" " + filter) } ?? false }
        return glob(Array(filter.utf8)[...], Array(RESTRoute.normalizedPath(path()).utf8)[...])
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

/// What a logged call's path and bodies are likely to repeat, the likeliest last: request fields, the
/// routes' paths, and a message answer (the server writes keys sorted, so its answers follow this
/// order whatever the fixture).
enum ActionDictionary {
    static let text = #"{"allowed_mentions":{"parse":[],"replied_user":false},"attachments":[{"filename":"","id":0}],"#
        + #""message_reference":{"channel_id":"","fail_if_not_exists":false,"guild_id":"","message_id":""},"nonce":"","#
        + #""embeds":[{"color":0,"description":"","fields":[{"inline":false,"name":"","value":""}],"footer":{"text":""},"title":"","type":"rich"}],"#
        + #""components":[{"components":[{"custom_id":"","label":"","style":1,"type":2}],"type":1}],"data":{"content":"","flags":64},"type":4}"#
        + #"/api/v10/interactions//callback/api/v10/webhooks//messages/@original/api/v10/guilds//members//roles/"#
        + #"/api/v10/channels//messages//reactions/%F0%9F%91%8D/@me/api/v10/channels//messages{"content":"","tts":false}"#
        + #"{"attachments":[],"author":{"avatar":null,"bot":true,"discriminator":"0","flags":0,"global_name":null,"#
        + #""id":"1000000000000000001","locale":"en-US","mfa_enabled":false,"public_flags":0,"username":"mockbot","verified":true},"#
        + #""channel_id":"1100000000000000101","components":[],"content":"","edited_timestamp":null,"embeds":[],"flags":0,"#
        + #""id":"","mention_everyone":false,"mention_roles":[],"mentions":[],"pinned":false,"#
        + #""timestamp":"2026-01-01T00:00:00.000000+00:00","tts":false,"type":0}"#
}
