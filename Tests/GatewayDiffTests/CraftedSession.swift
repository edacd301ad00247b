import GatewayDiff
import GatewayModel
import GatewayRecording

/// A small session written event by event (times in milliseconds), recorded into a real file with
/// the `Recorder` and read back, so crafted cases go through the same path as recordings.
struct CraftedSession {
    var sessionID = "s1"
    var token = "redacted:000000000000"
    private(set) var events: [(ms: Double, event: (UInt64) -> RecordEvent)] = []
    private var nextConnection: Int64 = 0

    /// Opens a connection at `ms` and sends HELLO.
    mutating func open(at ms: Double, interval: Int = 1000) -> Int64 {
        nextConnection += 1
        let id = nextConnection
        events.append((ms, { .connectionOpened(ConnectionOpenedRecord(connectionID: id, query: "v=10&encoding=json", t: $0)) }))
        server(id, at: ms, #"{"op":10,"d":{"heartbeat_interval":\#(interval)},"s":null,"t":null}"#)
        return id
    }

    /// The bot identifies at `ms` (the connection joins gateway session `gateway`).
    mutating func identify(
        _ connection: Int64, at ms: Double, gateway: String = "gs1", intents: Int = 513, extra: String = "",
        properties: String = #"{"os":"linux","browser":"discord.py","device":"discord.py"}"#
    ) {
        client(connection, at: ms, #"{"op":2,"d":{"token":"\#(token)","properties":\#(properties),"intents":\#(intents)\#(extra)}}"#)
        let session = sessionID
        events.append((ms, { _ in
            .connectionIdentified(ConnectionIdentifiedRecord(connectionID: connection, sessionID: session, gatewaySessionID: gateway, shardID: nil, shardCount: nil))
        }))
        server(connection, at: ms + 1, #"{"op":0,"s":1,"t":"READY","d":{"session_id":"\#(gateway)","guilds":[{"id":"1099511627776000000","unavailable":true}]}}"#)
    }

    /// The bot resumes at `ms`.
    mutating func resume(_ connection: Int64, at ms: Double, gateway: String = "gs1", seq: Int = 1) {
        client(connection, at: ms, #"{"op":6,"d":{"token":"\#(token)","session_id":"\#(gateway)","seq":\#(seq)}}"#)
    }

    /// Heartbeats every `every` ms from `from` to `to` (inclusive).
    mutating func heartbeats(_ connection: Int64, from: Double, to: Double, every: Double, jitter: [Double] = [0]) {
        var at = from
        var index = 0
        while at <= to {
            client(connection, at: at + jitter[index % jitter.count], #"{"op":1,"d":\#(index)}"#)
            server(connection, at: at + jitter[index % jitter.count] + 0.5, #"{"op":11,"d":null,"s":null,"t":null}"#)
            at += every
            index += 1
        }
    }

    mutating func client(_ connection: Int64, at ms: Double, _ json: String) {
        frame(connection, at: ms, .inbound, json)
    }

    mutating func server(_ connection: Int64, at ms: Double, _ json: String) {
        frame(connection, at: ms, .outbound, json)
    }

    private mutating func frame(_ connection: Int64, at ms: Double, _ direction: FrameDirection, _ json: String) {
        let value = try? JSONValue(parsing: json)
        let op = value?["op"]?.int64Value.map { Int($0) }
        let seq = value?["s"]?.int64Value
        let event = value?["t"]?.stringValue
        let session = sessionID
        events.append((ms, {
            .frame(FrameRecord(connectionID: connection, sessionID: session, t: $0, direction: direction, op: op, seq: seq,
                event: event, payload: Array(json.utf8), wireBytes: json.utf8.count))
        }))
    }

    mutating func close(_ connection: Int64, at ms: Double, code: Int?, by: ClosedBy) {
        events.append((ms, { .connectionClosed(ConnectionClosedRecord(connectionID: connection, code: code, reason: nil, closedBy: by, t: $0)) }))
    }

    mutating func http(at ms: Double, _ method: String, _ path: String, body: String = "null") {
        let session = sessionID
        events.append((ms, {
            .http(HTTPRecord(sessionID: session, method: method, path: path, status: 404,
                request: #"{"body":\#(body),"headers":{}}"#, response: "{}", t: $0))
        }))
    }

    mutating func control(at ms: Double, _ action: String, args: String) {
        let session = sessionID
        events.append((ms, { .control(ControlRecord(sessionID: session, action: action, args: args, t: $0)) }))
    }

    /// Writes the session into `path` with the Recorder.
    func write(to path: String) async throws {
        let start: UInt64 = 1_000_000_000_000
        let recorder = try Recorder(path: path, mode: .serve, startTime: start)
        let session = sessionID
        recorder.record(.session(SessionRecord(id: session, name: "crafted", tokenSHA256: "00", t: start)))
        let ordered = events.enumerated().sorted { ($0.element.ms, $0.offset) < ($1.element.ms, $1.offset) }
        for (_, (ms, make)) in ordered {
            recorder.record(make(start + UInt64(ms * 1_000_000)))
        }
        try await recorder.finish()
    }

    /// Writes the session into `directory/name.sqlite` and reads it back.
    func behaviour(in directory: String, name: String) async throws -> BotBehaviour {
        let path = directory + "/" + name + ".sqlite"
        try await write(to: path)
        return try GatewayDiffTests.behaviour(path)
    }

    /// A plain healthy session: HELLO, IDENTIFY, 5 heartbeats at 1 s, client close 1000.
    static func healthy(intents: Int = 513, token: String = "redacted:aaaaaaaaaaaa", gateway: String = "gs1") -> CraftedSession {
        var session = CraftedSession()
        session.token = token
        let connection = session.open(at: 0)
        session.identify(connection, at: 5, gateway: gateway, intents: intents)
        session.heartbeats(connection, from: 2, to: 4002, every: 1000)
        session.close(connection, at: 4500, code: 1000, by: .client)
        return session
    }
}
