import GatewayModel
import GatewayServer
import Synchronization

/// The recorded answers to the bot's commands, sent when the live bot sends the same command:
/// GUILD_MEMBERS_CHUNKs (with the live request's nonce) after op 8, voice events after op 4.
final class RecordedResponses: GatewayCommandResponder, Sendable {
    private struct State {
        /// Per request signature, each recorded request's chunks, oldest first.
        var memberChunks: [String: [[JSONValue]]] = [:]
        var voiceAnswers: [String: [(event: String, data: JSONValue)]] = [:]
    }
    private let state = Mutex(State())

    /// What makes two op 8 requests the same: guild, query, limit, user ids, presences.
    static func memberKey(_ data: JSONValue) -> String {
        let ids = (data["user_ids"]?.arrayValue ?? data["user_ids"].map { [$0] } ?? []).compactMap { $0.snowflake }.sorted()
        return [
            data["guild_id"]?.snowflake.map { String($0) } ?? "", data["query"]?.stringValue ?? "-",
            String(data["limit"]?.int64Value ?? 0), ids.map(String.init).joined(separator: ","),
            String(data["presences"]?.boolValue ?? false),
        ].joined(separator: "|")
    }

    static func voiceKey(_ data: JSONValue) -> String {
        (data["guild_id"]?.snowflake.map { String($0) } ?? "") + "|" + (data["channel_id"]?.snowflake.map { String($0) } ?? "null")
    }

    func addMemberChunk(_ chunk: JSONValue, for key: String) {
        state.withLock { state in
            if (chunk["chunk_index"]?.int64Value ?? 0) == 0 || state.memberChunks[key] == nil {
                state.memberChunks[key, default: []].append([])
            }
            state.memberChunks[key]![state.memberChunks[key]!.count - 1].append(chunk)
        }
    }

    func addVoiceAnswer(event: String, data: JSONValue, for key: String) {
        state.withLock { $0.voiceAnswers[key, default: []].append((event, data)) }
    }

    func responses(to op: GatewayOpcode, data: JSONValue, sessionID: String, shard: [Int]?) -> [(event: String, data: JSONValue)]? {
        switch op {
        case .requestGuildMembers:
            let nonce = data["nonce"]?.stringValue.flatMap { $0.utf8.count <= 32 ? JSONValue.string($0) : nil }
            let chunks: [JSONValue]? = state.withLock { state in
                guard var queue = state.memberChunks[Self.memberKey(data)], !queue.isEmpty else { return nil }
                // Each recorded request is answered once, in order; the last one answers any further ones.
                let chunks = queue.count > 1 ? queue.removeFirst() : queue[0]
                state.memberChunks[Self.memberKey(data)] = queue
                return chunks
            }
            return chunks?.map { chunk in
                var chunk = chunk
                chunk["nonce"] = nonce
                return ("GUILD_MEMBERS_CHUNK", chunk)
            }
        case .voiceStateUpdate:
            let answers = state.withLock { $0.voiceAnswers[Self.voiceKey(data)] }
            return answers.map { answers in answers.filter { $0.event != "VOICE_SERVER_UPDATE" || data["channel_id"] != .null } }
        default:
            return nil
        }
    }
}
