import GatewayModel
import GatewayServer

/// Pairs each recorded GUILD_MEMBERS_CHUNK with the recorded op 8 request it answers, with any
/// number of requests outstanding at once, on one connection or across shards.
///
/// A chunk answers the outstanding request whose `nonce` it carries and whose `guild_id` it names
/// (Discord echoes the nonce; one of over 32 bytes is dropped, so the chunk then has none). Among
/// several requests that fit that way (no nonce, one guild), the chunk goes to the one expecting its
/// `chunk_index`, then to the one whose `user_ids` or `query` select the chunk's members, then to
/// one on the chunk's own connection, then to the oldest. A request is answered once it has had
/// `chunk_count` chunks.
struct MemberRequestPairing {
    private struct Request {
        /// The caller's number for the request.
        let id: Int
        let connectionID: Int64
        let guildID: UInt64?
        let request: MemberRequest
        var received = 0
    }

    private var outstanding: [Request] = []

    /// Notes a recorded op 8 request (`data` is its `d`), known to the caller as `id`.
    mutating func request(_ data: JSONValue, connectionID: Int64, id: Int) {
        outstanding.append(Request(id: id, connectionID: connectionID, guildID: data["guild_id"]?.snowflake, request: MemberRequest(data)))
    }

    /// The `id` of the request a recorded chunk (`data` is its `d`) answers, or `nil` when no
    /// outstanding request fits it (the recording does not hold the chunk's request).
    mutating func answer(_ chunk: JSONValue, connectionID: Int64) -> Int? {
        let guildID = chunk["guild_id"]?.snowflake
        let nonce = chunk["nonce"]?.stringValue.map(JSONValue.string)
        let index = Int(chunk["chunk_index"]?.int64Value ?? 0)
        var best: (position: Int, score: Int)?
        for (position, pending) in outstanding.enumerated() where pending.guildID == guildID && pending.request.nonce == nonce {
            var score = pending.received == index ? 4 : 0
            if Self.selects(pending.request, chunk) { score += 2 }
            if pending.connectionID == connectionID { score += 1 }
            if score > best?.score ?? -1 { best = (position, score) }
        }
        guard let position = best?.position else { return nil }
        outstanding[position].received += 1
        let answered = outstanding[position]
        if Int64(answered.received) >= max(1, chunk["chunk_count"]?.int64Value ?? 1) { outstanding.remove(at: position) }
        return answered.id
    }

    /// Whether the chunk's members are what the request selects (by `user_ids`, or by `query` and
    /// `limit`), and its `not_found` ids are among the requested ones.
    private static func selects(_ request: MemberRequest, _ chunk: JSONValue) -> Bool {
        let members = chunk["members"]?.arrayValue ?? []
        let notFound = (chunk["not_found"]?.arrayValue ?? []).map { $0.snowflake.map(String.init) }
        return request.select(from: members).count == members.count
            && notFound.allSatisfy { id in id.map { request.userIDs?.contains($0) ?? false } ?? false }
    }
}
