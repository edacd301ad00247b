import GatewayModel
@testable import GatewayServer
import Testing

/// The actions log keeps each call packed (path and bodies deflated with a dictionary): what `actions`
/// lists must be exactly what was logged, and a logged message reply must stay small.
@Suite
struct ActionLogTests {
    static let reply = Array(
        (#"{"attachments":[],"author":{"avatar":null,"bot":true,"discriminator":"0","flags":0,"global_name":null,"#
            + #""id":"1000000000000000001","locale":"en-US","mfa_enabled":false,"public_flags":0,"username":"mockbot","verified":true},"#
            + #""channel_id":"1100000000000000101","components":[],"content":"soak reply","edited_timestamp":null,"embeds":[],"flags":0,"#
            + #""id":"1578071845725274112","mention_everyone":false,"mention_roles":[],"mentions":[],"pinned":false,"#
            + #""timestamp":"2026-12-03T15:34:07.178000+00:00","tts":false,"type":0}"#).utf8)

    static func action(id: Int64, method: String = "POST", path: String, request: String?, response: [UInt8]?) -> RESTAction {
        RESTAction(
            id: id, t: UInt64(id) * 1_000, method: method, path: path, route: method == "POST" ? "POST /channels/{channel.id}/messages" : nil,
            status: 200, requestText: request.map { Array($0.utf8) }, responseText: response)
    }

    @Test("calls come back as logged: no bodies, empty bodies, unicode, a megabyte")
    func packedCallsComeBackAsLogged() {
        let big = Array(("[" + (0..<40_000).map { "\"item \($0)\"" }.joined(separator: ",") + "]").utf8)
        let actions = [
            Self.action(id: 1, path: "/api/v10/channels/1100000000000000101/messages", request: #"{"content":"soak reply"}"#, response: Self.reply),
            Self.action(id: 2, method: "DELETE", path: "/api/v10/channels/1/messages/2", request: nil, response: nil),
            Self.action(id: 3, path: "/api/v10/channels/1/messages?x=%F0%9F%91%8D", request: "", response: []),
            Self.action(id: 4, path: "/api/v10/channels/1/messages/2/reactions/👍/@me", request: #"{"content":"héllo 👍"}"#, response: big),
            Self.action(id: 5, method: "GET", path: "", request: nil, response: Array("{}".utf8)),
        ]
        for action in actions {
            #expect(PackedAction(action).unpacked == action)
        }
    }

    @Test("a logged message reply takes a fifth of its text")
    func aLoggedReplyIsSmall() {
        let action = Self.action(
            id: 1, path: "/api/v10/channels/1100000000000000101/messages", request: #"{"content":"soak reply"}"#, response: Self.reply)
        let plain = action.path.utf8.count + action.requestText!.count + action.responseText!.count
        #expect(PackedAction(action).byteCount * 5 < plain, "\(PackedAction(action).byteCount) bytes packed of \(plain)")
    }

    @Test("the log lists by method, route and path pattern, and keeps the newest 10,000")
    func listsAndDropsTheOldest() async {
        let log = ActionLog()
        for id in 1...Int64(ActionLog.capacity + 5) {
            log.append(Self.action(
                id: id, method: id % 2 == 0 ? "DELETE" : "POST", path: "/api/v10/channels/\(id % 3)/messages", request: nil, response: Self.reply))
        }
        let all = await log.list(after: nil, method: nil, route: nil, wait: nil)
        #expect(all.count == ActionLog.capacity)
        #expect(all.first?.id == 6 && all.last?.id == Int64(ActionLog.capacity + 5))
        let posts = await log.list(after: 9_990, method: "post", route: "POST /channels/{channel.id}/messages", wait: nil)
        #expect(posts.map(\.id) == Array(stride(from: 9_991, through: 10_005, by: 2)))
        let channelTwo = await log.list(after: 9_990, method: nil, route: "/channels/2/*", wait: nil)
        #expect(channelTwo.map(\.id) == [9_992, 9_995, 9_998, 10_001, 10_004])
        #expect(channelTwo.allSatisfy { $0.responseText == Self.reply })
    }
}
