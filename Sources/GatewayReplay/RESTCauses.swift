import GatewayModel
import GatewayRecording
import GatewayWorld

/// Which recorded dispatches a REST call of the bot brought (SPEC §8): `frames.cause_http_id` where
/// the file has it; in a file without it, a dispatch within 5 seconds after a changing call (not a
/// `GET`) whose answer returned its `d.id` (an interaction callback's `with_response` answer: its
/// message's), or, for a reaction event, whose path names its
/// `d.message_id` and emoji.
enum RESTCauses {
    static let window: Int64 = 5_000_000_000

    /// Frame id → the `http.id` of the call that caused it.
    static func find(frames: [StoredFrame], http: [StoredHTTPCall]) -> [Int64: Int64] {
        let known = Set(http.map(\.id))
        var causes: [Int64: Int64] = [:]
        for frame in frames where frame.direction == .outbound {
            if let cause = frame.causeHTTPID, known.contains(cause) { causes[frame.id] = cause }
        }
        if frames.contains(where: { $0.causeHTTPID != nil }) { return causes }
        return infer(frames: frames, http: http)
    }

    private struct Candidate {
        let id: Int64
        let tNs: Int64
        /// The answer's `id` (an interaction callback's: its `resource.message.id`).
        let answeredID: String?
        /// For a reaction route: the message id and the emoji as the path names it.
        let reaction: (messageID: String, emoji: String)?
    }

    private static func infer(frames: [StoredFrame], http: [StoredHTTPCall]) -> [Int64: Int64] {
        let candidates: [Candidate] = http.compactMap { call in
            guard call.method != "GET", (call.status ?? 0) < 400 else { return nil }
            let answer = call.response.flatMap { try? JSONValue(parsing: Array($0.utf8)) }
            var reaction: (messageID: String, emoji: String)?
            if case .success(let match) = RESTRoute.match(method: call.method, path: call.path),
                let messageID = match["message.id"], let emoji = match["emoji"]
            {
                reaction = (messageID, emoji)
            }
            let answeredID = answer?["id"]?.stringValue ?? answer?["resource"]?["message"]?["id"]?.stringValue
            guard answeredID != nil || reaction != nil else { return nil }
            return Candidate(id: call.id, tNs: call.tNs, answeredID: answeredID, reaction: reaction)
        }.sorted { $0.tNs < $1.tNs }
        guard !candidates.isEmpty else { return [:] }
        var causes: [Int64: Int64] = [:]
        var used: Set<String> = []
        for frame in frames where frame.direction == .outbound && frame.event != nil {
            let earliest = frame.tNs - window
            // Calls from 5 s before the frame up to it, latest first.
            guard let last = candidates.lastIndex(where: { $0.tNs <= frame.tNs }), candidates[last].tNs >= earliest,
                let payload = try? JSONValue(parsing: frame.payload), payload["op"]?.int64Value == 0
            else { continue }
            let data = payload["d"] ?? .null
            let event = frame.event ?? ""
            for candidate in candidates[...last].reversed() {
                guard candidate.tNs >= earliest else { break }
                let matches: Bool
                if event.hasPrefix("MESSAGE_REACTION_") {
                    matches = candidate.reaction.map { $0.messageID == data["message_id"]?.stringValue && emojiMatches($0.emoji, data["emoji"]) } ?? false
                } else {
                    matches = candidate.answeredID != nil && candidate.answeredID == data["id"]?.stringValue
                }
                // One call brings one event of each name.
                guard matches, used.insert("\(candidate.id) \(event)").inserted else { continue }
                causes[frame.id] = candidate.id
                break
            }
        }
        return causes
    }

    /// Whether a path's emoji (`👍`, `name:id`, `name`) is the event's `emoji` object.
    static func emojiMatches(_ pathEmoji: String, _ emoji: JSONValue?) -> Bool {
        guard let emoji, let name = emoji["name"]?.stringValue else { return false }
        if let id = emoji["id"]?.stringValue { return pathEmoji == "\(name):\(id)" || pathEmoji == id || pathEmoji == name }
        return pathEmoji == name
    }
}
