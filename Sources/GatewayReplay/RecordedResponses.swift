import GatewayModel
import GatewayServer
import Synchronization

/// The recorded answers to the bot's commands, sent when the live bot sends the same command:
/// GUILD_MEMBERS_CHUNKs (with the live request's nonce) after op 8, voice events after op 4.
///
/// Each live op 8 takes the first recorded request of the same signature that no live request
/// took yet, in recorded order, with the chunks paired with it (`MemberRequestPairing`). A live
/// request without one (none left, or the recorded one was never answered) is answered by the
/// server's world and noted in `unansweredRequests`, which `--verify` reports.
final class RecordedResponses: GatewayCommandResponder, Sendable {
    /// A live op 8 that the recording had no answer for.
    struct UnansweredRequest: Sendable {
        let sessionID: String
        /// The request's `d`.
        let data: JSONValue
    }

    private struct State {
        /// Recorded op 8 requests in the order the bot sent them: signature, chunks, whether a live request took it.
        var memberRequests: [(key: String, chunks: [JSONValue], taken: Bool)] = []
        var unanswered: [UnansweredRequest] = []
        var voiceAnswers: [String: [(event: String, data: JSONValue)]] = [:]
    }
    private let state = Mutex(State())

    /// What makes two op 8 requests the same: guild, query, limit, user ids, presences.
    static func memberKey(_ data: JSONValue) -> String {
        let request = MemberRequest(data)
        return [
            data["guild_id"]?.snowflake.map { String($0) } ?? "", request.query ?? "-", String(request.limit),
            (request.userIDs ?? []).sorted().joined(separator: ","), String(request.presences),
        ].joined(separator: "|")
    }

    static func voiceKey(_ data: JSONValue) -> String {
        (data["guild_id"]?.snowflake.map { String($0) } ?? "") + "|" + (data["channel_id"]?.snowflake.map { String($0) } ?? "null")
    }

    /// Notes a recorded op 8 request; returns its number for `addMemberChunk`.
    func addMemberRequest(_ data: JSONValue) -> Int {
        state.withLock { state in
            state.memberRequests.append((Self.memberKey(data), [], false))
            return state.memberRequests.count - 1
        }
    }

    /// Adds a recorded chunk to the answer of request `request` (a number from `addMemberRequest`).
    func addMemberChunk(_ chunk: JSONValue, toRequest request: Int) {
        state.withLock { $0.memberRequests[request].chunks.append(chunk) }
    }

    /// The live op 8 requests (of every session) that the recording had no answer for, in order.
    var unansweredRequests: [UnansweredRequest] { state.withLock { $0.unanswered } }

    func addVoiceAnswer(event: String, data: JSONValue, for key: String) {
        state.withLock { $0.voiceAnswers[key, default: []].append((event, data)) }
    }

    func responses(to op: GatewayOpcode, data: JSONValue, sessionID: String, shard: [Int]?) -> [(event: String, data: JSONValue)]? {
        switch op {
        case .requestGuildMembers:
            let key = Self.memberKey(data)
            let chunks: [JSONValue]? = state.withLock { state in
                let index = state.memberRequests.firstIndex { !$0.taken && $0.key == key }
                if let index { state.memberRequests[index].taken = true }
                let chunks = index.map { state.memberRequests[$0].chunks } ?? []
                guard !chunks.isEmpty else {
                    state.unanswered.append(UnansweredRequest(sessionID: sessionID, data: data))
                    return nil
                }
                return chunks
            }
            // The live request's nonce (when Discord would echo it), never the recorded one.
            let nonce = MemberRequest(data).nonce
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
