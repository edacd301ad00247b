import Foundation

/// Every REST route the server knows (SPEC §4), by Discord's path names. `name` (for example
/// `POST /channels/{channel.id}/messages`) is what the actions log, the recording's `http.route`,
/// rest faults, scenarios and replay matching use.
public enum RESTRoute: String, CaseIterable, Sendable {
    case getGateway = "GET /gateway"
    case getGatewayBot = "GET /gateway/bot"
    case getCurrentUser = "GET /users/@me"
    case getOAuthApplication = "GET /oauth2/applications/@me"
    case getApplication = "GET /applications/@me"
    case getGlobalCommands = "GET /applications/{application.id}/commands"
    case putGlobalCommands = "PUT /applications/{application.id}/commands"
    case postGlobalCommand = "POST /applications/{application.id}/commands"
    case getGuildCommands = "GET /applications/{application.id}/guilds/{guild.id}/commands"
    case putGuildCommands = "PUT /applications/{application.id}/guilds/{guild.id}/commands"
    case postGuildCommand = "POST /applications/{application.id}/guilds/{guild.id}/commands"
    case getSoundboardDefaultSounds = "GET /soundboard-default-sounds"

    case createMessage = "POST /channels/{channel.id}/messages"
    case getMessages = "GET /channels/{channel.id}/messages"
    case getMessage = "GET /channels/{channel.id}/messages/{message.id}"
    case editMessage = "PATCH /channels/{channel.id}/messages/{message.id}"
    case deleteMessage = "DELETE /channels/{channel.id}/messages/{message.id}"
    case bulkDeleteMessages = "POST /channels/{channel.id}/messages/bulk-delete"
    case triggerTyping = "POST /channels/{channel.id}/typing"
    case getPins = "GET /channels/{channel.id}/messages/pins"
    case pinMessage = "PUT /channels/{channel.id}/messages/pins/{message.id}"
    case unpinMessage = "DELETE /channels/{channel.id}/messages/pins/{message.id}"
    case getPinsLegacy = "GET /channels/{channel.id}/pins"
    case pinMessageLegacy = "PUT /channels/{channel.id}/pins/{message.id}"
    case unpinMessageLegacy = "DELETE /channels/{channel.id}/pins/{message.id}"

    case addOwnReaction = "PUT /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me"
    case removeOwnReaction = "DELETE /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me"
    case getReactions = "GET /channels/{channel.id}/messages/{message.id}/reactions/{emoji}"

    case getChannel = "GET /channels/{channel.id}"
    case getGuild = "GET /guilds/{guild.id}"
    case getGuildChannels = "GET /guilds/{guild.id}/channels"
    case getGuildRoles = "GET /guilds/{guild.id}/roles"
    case getGuildMembers = "GET /guilds/{guild.id}/members"
    case getGuildMember = "GET /guilds/{guild.id}/members/{user.id}"
    case modifyGuildMember = "PATCH /guilds/{guild.id}/members/{user.id}"
    case addMemberRole = "PUT /guilds/{guild.id}/members/{user.id}/roles/{role.id}"
    case removeMemberRole = "DELETE /guilds/{guild.id}/members/{user.id}/roles/{role.id}"
    case getUser = "GET /users/{user.id}"
    case createDM = "POST /users/@me/channels"

    case interactionCallback = "POST /interactions/{interaction.id}/{interaction.token}/callback"
    case getOriginalResponse = "GET /webhooks/{application.id}/{interaction.token}/messages/@original"
    case editOriginalResponse = "PATCH /webhooks/{application.id}/{interaction.token}/messages/@original"
    case deleteOriginalResponse = "DELETE /webhooks/{application.id}/{interaction.token}/messages/@original"
    case createFollowup = "POST /webhooks/{application.id}/{interaction.token}"
    case getFollowup = "GET /webhooks/{application.id}/{interaction.token}/messages/{message.id}"
    case editFollowup = "PATCH /webhooks/{application.id}/{interaction.token}/messages/{message.id}"
    case deleteFollowup = "DELETE /webhooks/{application.id}/{interaction.token}/messages/{message.id}"

    /// `METHOD /path/{template}`.
    public var name: String { rawValue }
    public var method: String { String(rawValue.prefix { $0 != " " }) }
    /// The path template, e.g. `/channels/{channel.id}/messages`.
    public var template: String { String(rawValue.drop { $0 != " " }.dropFirst()) }

    /// The template's segments: a literal, or a parameter name such as `channel.id`.
    var segments: [Segment] {
        template.split(separator: "/").map { part in
            part.hasPrefix("{") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    enum Segment: Equatable {
        case literal(String)
        case parameter(String)
    }

    /// Whether the route's credential is the interaction token in its path (no `Authorization`).
    public var usesInteractionToken: Bool {
        switch self {
        case .interactionCallback, .getOriginalResponse, .editOriginalResponse, .deleteOriginalResponse, .createFollowup, .getFollowup,
            .editFollowup, .deleteFollowup:
            true
        default: false
        }
    }

    /// The startup routes a library calls before it is ready (SPEC §4's first row).
    public var isStartup: Bool {
        switch self {
        case .getGateway, .getGatewayBot, .getCurrentUser, .getOAuthApplication, .getApplication, .getGlobalCommands,
            .putGlobalCommands, .postGlobalCommand, .getGuildCommands, .putGuildCommands, .postGuildCommand,
            .getSoundboardDefaultSounds:
            true
        default: false
        }
    }
}

/// A request path matched to a route: the route and its path parameters, percent-decoded.
public struct RouteMatch: Equatable, Sendable {
    public var route: RESTRoute
    public var parameters: [String: String]

    public subscript(_ name: String) -> String? { parameters[name] }
}

/// Why a path matched no route.
public enum RouteMatchFailure: Error, Equatable {
    /// No route has this path.
    case unknownRoute
    /// A route has this path, with another method.
    case methodNotAllowed
}

extension RESTRoute {
    /// Candidates by segment count, each with its method and segments worked out once.
    private static let table: [Int: [(route: RESTRoute, method: String, segments: [Segment])]] = Dictionary(
        grouping: allCases.map { ($0, $0.method, $0.segments) }, by: { $0.2.count })

    /// The path of a REST request without its `/api` or `/api/vN` prefix and query, split into
    /// percent-decoded segments (`/api/v10/channels/1/messages?limit=5` → `["channels", "1", "messages"]`).
    public static func pathSegments(_ path: String) -> [String] {
        // A scan of the bytes: the generic `split` cost more than matching the route itself.
        var parts: [Substring] = []
        var start = path.startIndex
        var index = path.startIndex
        let utf8 = path.utf8
        while index < path.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "?") { break }
            if byte == UInt8(ascii: "/") {
                if start < index { parts.append(path[start..<index]) }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if start < index { parts.append(path[start..<index]) }
        var first = 0
        if parts.first == "api" { first += 1 }
        if first < parts.count, let version = parts[first].utf8.first, version == UInt8(ascii: "v"), parts[first].utf8.count > 1,
            parts[first].utf8.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        {
            first += 1
        }
        return parts[first...].map { String($0).percentDecoded }
    }

    /// The route of a request: literal segments win over parameters (`/users/@me` is not `/users/{user.id}`).
    public static func match(method: String, path: String) -> Result<RouteMatch, RouteMatchFailure> {
        let segments = pathSegments(path)
        let method = method.uppercased()
        var best: (route: RESTRoute, segments: [Segment], literals: Int)?
        var pathMatched = false
        for candidate in table[segments.count] ?? [] {
            var literals = 0
            var matches = true
            for (segment, actual) in zip(candidate.segments, segments) {
                guard case .literal(let literal) = segment else { continue }
                guard literal == actual else { matches = false; break }
                literals += 1
            }
            guard matches else { continue }
            pathMatched = true
            guard candidate.method == method else { continue }
            if best == nil || literals > best!.literals { best = (candidate.route, candidate.segments, literals) }
        }
        guard let best else { return .failure(pathMatched ? .methodNotAllowed : .unknownRoute) }
        var parameters: [String: String] = [:]
        for (segment, actual) in zip(best.segments, segments) {
            if case .parameter(let name) = segment { parameters[name] = actual }
        }
        return .success(RouteMatch(route: best.route, parameters: parameters))
    }

    /// The route template of a request, or nil for an unknown route.
    public static func name(method: String, path: String) -> String? {
        if case .success(let match) = match(method: method, path: path) { return match.route.name }
        return nil
    }
}

extension String {
    /// `%F0%9F%91%8D` → 👍 (invalid escapes are kept as written).
    var percentDecoded: String {
        guard utf8.contains(UInt8(ascii: "%")) else { return self }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = Array(utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension RESTRoute {
    /// `a=1&b=%F0%9F%91%8D&c=x+y` → `["a": "1", "b": "👍", "c": "x y"]` (form encoding; the last of repeated
    /// names wins).
    public static func queryParameters(_ query: String) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in query.replacingOccurrences(of: "+", with: " ").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard let name = parts.first else { continue }
            parameters[String(name).percentDecoded] = parts.count > 1 ? String(parts[1]).percentDecoded : ""
        }
        return parameters
    }

    /// A request path as readers compare it: without the `/api` or `/api/vN` prefix and the query,
    /// percent-decoded (`/api/v10/channels/1/messages?x` → `/channels/1/messages`).
    public static func normalizedPath(_ path: String) -> String {
        "/" + pathSegments(path).joined(separator: "/")
    }
}
