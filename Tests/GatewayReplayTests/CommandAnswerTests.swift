import GatewayDiff
import GatewayModel
import GatewayRecording
@testable import GatewayReplay
import Testing

/// How a recording's answers to the bot's commands are found (recorded chunks paired with recorded
/// op 8 requests, voice events after op 4) and given to the live bot's commands.
struct CommandAnswerTests {
    static let guildA = "1099511627776000000"
    static let guildB = "1099511627776000001"
    static let guildC = "1099511627780194304"

    /// Recorded frames, numbered in wire order, 1 ms apart.
    struct Recording {
        var frames: [StoredFrame] = []

        init() { dispatch("READY", ["v": 10, "user": ["id": "1", "username": "bot"], "guilds": [], "session_id": "s"]) }

        mutating func add(_ direction: FrameDirection, op: Int, event: String?, _ data: JSONValue, connection: Int64) {
            let payload: JSONValue = ["op": .int(Int64(op)), "d": data, "s": nil, "t": event.map { .string($0) } ?? nil]
            frames.append(StoredFrame(
                id: Int64(frames.count + 1), connectionID: connection, sessionID: "rec", tNs: Int64(frames.count + 1) * 1_000_000,
                direction: direction, op: op, seq: nil, event: event, payload: payload.jsonBytes, wireBytes: nil))
        }

        mutating func request(_ guild: String, nonce: String?, query: String = "", userIDs: [String]? = nil, connection: Int64 = 1) {
            var data: JSONValue = ["guild_id": .string(guild), "limit": 0]
            if let userIDs { data["user_ids"] = .array(userIDs.map { .string($0) }) } else { data["query"] = .string(query) }
            if let nonce { data["nonce"] = .string(nonce) }
            add(.inbound, op: 8, event: nil, data, connection: connection)
        }

        mutating func chunk(_ guild: String, nonce: String?, members: [String], index: Int = 0, count: Int = 1, notFound: [String] = [], connection: Int64 = 1) {
            var data: JSONValue = [
                "guild_id": .string(guild), "chunk_index": .int(Int64(index)), "chunk_count": .int(Int64(count)),
                "not_found": .array(notFound.map { .string($0) }),
                "members": .array(members.map { name in ["user": ["id": .string(CommandAnswerTests.id(of: name)), "username": .string(name)]] }),
            ]
            if let nonce { data["nonce"] = .string(nonce) }
            dispatch("GUILD_MEMBERS_CHUNK", data, connection: connection)
        }

        mutating func dispatch(_ event: String, _ data: JSONValue, connection: Int64 = 1) {
            add(.outbound, op: 0, event: event, data, connection: connection)
        }

        var analysis: FrameAnalysis { FrameAnalysis(frames: frames) }
    }

    /// A member's user id, made from its name.
    static func id(of name: String) -> String { String(1_200_000_000_000_000_000 + name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) } % 1_000_000) }

    /// The live bot's op 8 and what it is answered with: each chunk's guild, member names, index, nonce.
    static func ask(
        _ responses: RecordedResponses, _ guild: String, nonce: String?, query: String = "", userIDs: [String]? = nil
    ) -> [(guild: String?, members: [String], index: Int64?, nonce: String?)]? {
        var data: JSONValue = ["guild_id": .string(guild), "limit": 0]
        if let userIDs { data["user_ids"] = .array(userIDs.map { .string($0) }) } else { data["query"] = .string(query) }
        if let nonce { data["nonce"] = .string(nonce) }
        return responses.responses(to: .requestGuildMembers, data: data, sessionID: "live", shard: nil)?.map { answer in
            #expect(answer.event == "GUILD_MEMBERS_CHUNK")
            let members = answer.data["members"]?.arrayValue?.compactMap { $0["user"]?["username"]?.stringValue } ?? []
            return (answer.data["guild_id"]?.stringValue, members, answer.data["chunk_index"]?.int64Value, answer.data["nonce"]?.stringValue)
        }
    }

    static func timelineEvents(_ analysis: FrameAnalysis) -> [String] { analysis.timelineDispatches.map(\.event) }

    @Test func twoRequestsBackToBackEachGetTheirOwnChunks() {
        // discord.py at startup: both requests, then both answers (issue 16).
        var recording = Recording()
        recording.request(Self.guildA, nonce: "aaaa")
        recording.request(Self.guildB, nonce: "bbbb")
        recording.chunk(Self.guildA, nonce: "aaaa", members: ["ann", "abe"])
        recording.chunk(Self.guildB, nonce: "bbbb", members: ["bob", "bea", "ben"])
        let analysis = recording.analysis
        #expect(Self.timelineEvents(analysis).isEmpty, "a chunk that answers a request never goes out by the clock")

        let b = Self.ask(analysis.responses, Self.guildB, nonce: "live-b")
        let a = Self.ask(analysis.responses, Self.guildA, nonce: "live-a")
        #expect(b?.map(\.guild) == [Self.guildB] && b?.first?.members == ["bob", "bea", "ben"] && b?.first?.nonce == "live-b")
        #expect(a?.map(\.guild) == [Self.guildA] && a?.first?.members == ["ann", "abe"] && a?.first?.nonce == "live-a")
        #expect(analysis.responses.unansweredRequests.isEmpty)
    }

    @Test func threeOutstandingRequestsAnsweredInAnotherOrder() {
        var recording = Recording()
        recording.request(Self.guildA, nonce: "n1")
        recording.request(Self.guildB, nonce: "n2")
        recording.request(Self.guildC, nonce: "n3")
        recording.chunk(Self.guildC, nonce: "n3", members: ["cid"])
        recording.chunk(Self.guildA, nonce: "n1", members: ["ann"])
        recording.chunk(Self.guildB, nonce: "n2", members: ["bob"])
        let responses = recording.analysis.responses
        #expect(Self.ask(responses, Self.guildA, nonce: "x")?.first?.members == ["ann"])
        #expect(Self.ask(responses, Self.guildB, nonce: "y")?.first?.members == ["bob"])
        #expect(Self.ask(responses, Self.guildC, nonce: "z")?.first?.members == ["cid"])
        #expect(Self.timelineEvents(recording.analysis).isEmpty)
    }

    @Test func interleavedRequestsAcrossTwoShardsAndARepeatedGuild() {
        // Shard 0 (connection 1) asks for guild A twice (everyone, then "al"); shard 1 (connection 2)
        // for guild B; the answers interleave, the second request for A answered first.
        var recording = Recording()
        recording.request(Self.guildA, nonce: "a-all", connection: 1)
        recording.request(Self.guildB, nonce: "b-all", connection: 2)
        recording.request(Self.guildA, nonce: "a-al", query: "al", connection: 1)
        recording.chunk(Self.guildA, nonce: "a-al", members: ["alice", "alan"], connection: 1)
        recording.chunk(Self.guildB, nonce: "b-all", members: ["bob"], connection: 2)
        recording.request(Self.guildB, nonce: "b-again", connection: 2)
        recording.chunk(Self.guildA, nonce: "a-all", members: ["alice", "alan", "zed"], connection: 1)
        recording.chunk(Self.guildB, nonce: "b-again", members: ["bob", "bea"], connection: 2)
        let responses = recording.analysis.responses
        #expect(Self.ask(responses, Self.guildA, nonce: "1", query: "al")?.first?.members == ["alice", "alan"])
        #expect(Self.ask(responses, Self.guildA, nonce: "2")?.first?.members == ["alice", "alan", "zed"])
        // Two recorded requests of one signature: the live ones take them in recorded order.
        #expect(Self.ask(responses, Self.guildB, nonce: "3")?.first?.members == ["bob"])
        #expect(Self.ask(responses, Self.guildB, nonce: "4")?.first?.members == ["bob", "bea"])
        #expect(Self.timelineEvents(recording.analysis).isEmpty)
    }

    @Test func aRequestAnsweredInSeveralChunksKeepsAllOfThemInOrder() {
        var recording = Recording()
        recording.request(Self.guildA, nonce: "big")
        recording.request(Self.guildB, nonce: "small")
        recording.chunk(Self.guildA, nonce: "big", members: ["a0"], index: 0, count: 3)
        recording.chunk(Self.guildB, nonce: "small", members: ["b0"])
        recording.chunk(Self.guildA, nonce: "big", members: ["a1"], index: 1, count: 3)
        recording.chunk(Self.guildA, nonce: "big", members: ["a2"], index: 2, count: 3)
        // Once all three chunks came, the request is answered: a later chunk with its nonce is not its.
        recording.chunk(Self.guildA, nonce: "big", members: ["late"])
        let analysis = recording.analysis
        let big = Self.ask(analysis.responses, Self.guildA, nonce: "live")
        #expect(big?.map(\.members) == [["a0"], ["a1"], ["a2"]] && big?.map(\.index) == [0, 1, 2])
        #expect(big?.allSatisfy { $0.nonce == "live" } == true)
        #expect(Self.ask(analysis.responses, Self.guildB, nonce: "live2")?.map(\.members) == [["b0"]])
        #expect(Self.timelineEvents(analysis) == ["GUILD_MEMBERS_CHUNK"])
    }

    @Test func requestsWithoutANoncePairByGuildThenByWhatTheySelect() {
        // No nonce (and one over 32 bytes, which Discord does not echo): the guild decides, then
        // the user ids or the query the chunk's members fit.
        var recording = Recording()
        let long = String(repeating: "n", count: 40)
        recording.request(Self.guildA, nonce: nil, query: "al")
        recording.request(Self.guildA, nonce: nil, userIDs: [Self.id(of: "zed"), Self.id(of: "ghost")])
        recording.request(Self.guildB, nonce: long)
        recording.chunk(Self.guildB, nonce: nil, members: ["bob"])
        recording.chunk(Self.guildA, nonce: nil, members: ["zed"], notFound: [Self.id(of: "ghost")])
        recording.chunk(Self.guildA, nonce: nil, members: ["alice"])
        let analysis = recording.analysis
        #expect(Self.timelineEvents(analysis).isEmpty)
        let byIDs = Self.ask(analysis.responses, Self.guildA, nonce: nil, userIDs: [Self.id(of: "ghost"), Self.id(of: "zed")])
        #expect(byIDs?.first?.members == ["zed"] && byIDs?.first?.nonce == nil)
        #expect(Self.ask(analysis.responses, Self.guildA, nonce: "q", query: "al")?.first?.members == ["alice"])
        let b = Self.ask(analysis.responses, Self.guildB, nonce: long)
        #expect(b?.first?.members == ["bob"] && b?.first?.nonce == nil, "a nonce over 32 bytes is not echoed")
    }

    @Test func aChunkWhoseRequestIsMissingGoesOutByTheClockWithoutItsNonce() throws {
        var recording = Recording()
        recording.chunk(Self.guildA, nonce: "ghost", members: ["ann"])
        recording.request(Self.guildB, nonce: "b")
        recording.chunk(Self.guildB, nonce: "other", members: ["bob"])
        let analysis = recording.analysis
        #expect(Self.timelineEvents(analysis) == ["GUILD_MEMBERS_CHUNK", "GUILD_MEMBERS_CHUNK"])
        #expect(analysis.timelineDispatches.allSatisfy { $0.data["nonce"] == nil }, "a recorded nonce never reaches the live bot")
        #expect(analysis.timelineDispatches.map(\.guildID) == [UInt64(Self.guildA), UInt64(Self.guildB)])

        // The recorded request for B was never answered, and A was never asked for: the live
        // requests are the world's to answer, and both are noted for --verify.
        #expect(Self.ask(analysis.responses, Self.guildB, nonce: "live-b") == nil)
        #expect(Self.ask(analysis.responses, Self.guildA, nonce: "live-a") == nil)
        let unanswered = analysis.responses.unansweredRequests
        #expect(unanswered.map { $0.data["guild_id"]?.stringValue } == [Self.guildB, Self.guildA])
        #expect(unanswered.allSatisfy { $0.sessionID == "live" })
    }

    @Test func aRequestBeyondTheRecordedOnesIsTheWorldsAndReported() throws {
        var recording = Recording()
        recording.request(Self.guildA, nonce: "a")
        recording.chunk(Self.guildA, nonce: "a", members: ["ann"])
        let responses = recording.analysis.responses
        #expect(Self.ask(responses, Self.guildA, nonce: "1")?.first?.members == ["ann"])
        #expect(Self.ask(responses, Self.guildA, nonce: "2") == nil, "the recorded answer is used once")
        let unanswered = try #require(responses.unansweredRequests.first)
        #expect(unanswered.data["nonce"] == "2")

        // The live bot did what the recorded one did, but one of its requests had no recorded answer.
        let recorded = try Self.session(recording)
        var outcome = ReplayOutcome(
            performed: 0, total: 0, timeoutReason: nil, liveFrames: recorded.frames, liveConnections: [], liveHTTP: [],
            unansweredMemberRequests: [unanswered.data])
        let verdict = ReplayVerdict(recorded: recorded, outcome: outcome)
        #expect(!verdict.passed && verdict.comparison.isEqual)
        #expect(verdict.firstProblem?.contains("op 8") == true && verdict.firstProblem?.contains(Self.guildA) == true)
        #expect(verdict.render(color: false).contains("no recorded answer"))
        outcome.unansweredMemberRequests = []
        #expect(ReplayVerdict(recorded: recorded, outcome: outcome).passed)
    }

    @Test func aVoiceStateUpdateWithoutAnOp4GoesOutByTheClock() {
        // `case A, B where …` applied the condition to B only, and this recording trapped (issue 15).
        var recording = Recording()
        let state: JSONValue = ["guild_id": .string(Self.guildA), "channel_id": "5", "user_id": "7", "session_id": "v"]
        recording.dispatch("VOICE_STATE_UPDATE", state)
        recording.add(.inbound, op: 4, event: nil, ["guild_id": .string(Self.guildA), "channel_id": "6"], connection: 1)
        recording.dispatch("VOICE_STATE_UPDATE", ["guild_id": .string(Self.guildA), "channel_id": "6", "user_id": "1", "session_id": "v"])
        recording.dispatch("VOICE_SERVER_UPDATE", ["guild_id": .string(Self.guildA), "token": "t", "endpoint": "e"])
        recording.dispatch("VOICE_STATE_UPDATE", state)
        let analysis = recording.analysis
        #expect(Self.timelineEvents(analysis) == ["VOICE_STATE_UPDATE", "VOICE_STATE_UPDATE"])
        let answers = analysis.responses.responses(
            to: .voiceStateUpdate, data: ["guild_id": .string(Self.guildA), "channel_id": "6"], sessionID: "live", shard: nil)
        #expect(answers?.map(\.event) == ["VOICE_STATE_UPDATE", "VOICE_SERVER_UPDATE"])
    }

    static func session(_ recording: Recording) throws -> RecordedSession {
        try RecordedSession(id: "rec", frames: recording.frames, controls: [], connections: [], http: [], label: "test")
    }
}
