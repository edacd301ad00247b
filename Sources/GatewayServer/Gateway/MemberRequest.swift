import GatewayModel

/// An op 8 REQUEST_GUILD_MEMBERS: which members it asks for and how the chunks echo it (the
/// server's answers, and `replay`'s pairing of recorded chunks with recorded requests).
public struct MemberRequest: Sendable {
    public let query: String?
    public let limit: Int
    public let userIDs: [String]?
    public let presences: Bool
    /// Echoed only when at most 32 bytes.
    public let nonce: JSONValue?

    /// Reads the request's `d`.
    public init(_ data: JSONValue) {
        query = data["query"]?.stringValue
        limit = Int(data["limit"]?.int64Value ?? 0)
        switch data["user_ids"] {
        case .array(let ids)?: userIDs = ids.compactMap { $0.snowflake.map(String.init) }
        case let id? where id.snowflake != nil: userIDs = [String(id.snowflake!)]
        default: userIDs = nil
        }
        presences = data["presences"]?.boolValue ?? false
        if let nonce = data["nonce"]?.stringValue, nonce.utf8.count <= 32 { self.nonce = .string(nonce) } else { nonce = nil }
    }

    /// The members the request selects: by `user_ids` (at most 100), or by username/nick prefix
    /// (case-insensitive; `""` with limit 0 is everyone), capped by `limit`.
    public func select(from members: [JSONValue]) -> [JSONValue] {
        if let userIDs {
            let wanted = Set(userIDs.prefix(100))
            return members.filter { member in member["user"]?["id"]?.stringValue.map(wanted.contains) ?? false }
        }
        let prefix = (query ?? "").lowercased()
        let matching = members.filter { member in
            guard !prefix.isEmpty else { return true }
            let names = [member["user"]?["username"], member["nick"], member["user"]?["global_name"]].compactMap { $0?.stringValue }
            return names.contains { $0.lowercased().hasPrefix(prefix) }
        }
        let cap = limit > 0 ? limit : (prefix.isEmpty ? Int.max : 100)
        return Array(matching.prefix(cap))
    }

    func chunk(guildID: String, members: [JSONValue], index: Int, count: Int, notFound: [String]) -> JSONValue {
        var chunk: JSONValue = [
            "guild_id": .string(guildID), "members": .array(members), "chunk_index": .int(Int64(index)),
            "chunk_count": .int(Int64(count)), "not_found": .array(notFound.map { .string($0) }),
        ]
        if presences { chunk["presences"] = [] }
        if let nonce { chunk["nonce"] = nonce }
        return chunk
    }
}
