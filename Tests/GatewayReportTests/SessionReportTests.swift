import GatewayDiff
import GatewayModel
import GatewayRecording
import GatewayReport
import Testing

/// What `report` extracts from a session: lanes, marks, counts, closes, hints.
@Suite struct SessionReportTests {
    @Test func resumeShowsBothConnectionsAndTheServersClose() throws {
        let report = try readReport(golden("resume"))
        let connectionLanes = report.lanes.filter { $0.kind == .connection }
        #expect(connectionLanes.map { $0.connection?.id } == [1, 2])
        #expect(connectionLanes.allSatisfy { $0.group == "shard 0" })
        #expect(report.lanes.map(\.kind) == [.connection, .connection, .rest, .controls])
        #expect(connectionLanes[0].closeSummary == "4000 by server (golden resume)")
        #expect(connectionLanes[1].closeSummary == "4000 by client")
        #expect(report.marks.filter { $0.kind == .close }.map(\.name) == ["CLOSE 4000", "CLOSE 4000"])
        #expect(report.botUser == "mockbot (1000000000000000001)")
        #expect(report.eventCounts.first { $0.name == "MESSAGE_CREATE" }?.count == 6)
        #expect(report.controlCounts.map(\.name).sorted() == ["disconnect", "dispatch"])
        #expect(report.marks.contains { $0.kind == .handshake && $0.name == "RESUME" && $0.lane == 1 })
        #expect(report.analysis.timing.resumeDelaysMs.count == 1)
    }

    @Test(arguments: ["plain", "resume", "zombie", "invalidate"])
    func everyRowBecomesOneMarkInTimeOrder(_ name: String) throws {
        let path = golden(name)
        let report = try readReport(path)
        let reader = try RecordingReader(path: path)
        defer { reader.close() }
        let session = try #require(try reader.sessions().first)
        let connections = try reader.connections(sessionID: nil)
        var frames = 0
        for connection in connections { frames += try reader.frames(connectionID: connection.id).count }
        #expect(report.frameCount == frames)
        #expect(report.marks.filter { $0.kind.row < 2 }.count == frames)
        #expect(report.marks.filter { $0.kind == .close }.count == connections.filter { $0.closedNs != nil }.count)
        #expect(report.marks.filter { $0.lane == report.lanes.firstIndex { $0.kind == .rest } }.count
            == (try reader.httpCalls(sessionID: session.id)).count)
        #expect(report.marks.filter { $0.kind == .control }.count == (try reader.controls(sessionID: session.id)).count)
        #expect(zip(report.marks, report.marks.dropFirst()).allSatisfy { $0.tNs <= $1.tNs })
        #expect(report.lanes.filter { $0.kind == .connection }.count == connections.count)
    }

    @Test func invalidateShowsTheRefusedResumeAndTheHint() throws {
        let report = try readReport(golden("invalidate"))
        let lanes = report.lanes.filter { $0.kind == .connection }
        #expect(lanes.map { $0.connection?.id } == [1, 2, 3])
        #expect(lanes[1].closeSummary == "1000 by client")
        #expect(report.marks.contains { $0.kind == .reconnectOrInvalid && $0.name == "INVALID_SESSION" && $0.lane == 1 })
        #expect(report.analysis.hints.map(\.kind).contains(.identifyTooSoonAfterInvalidSession))
    }

    @Test func plainCountsRoutesWithTheirStatuses() throws {
        let report = try readReport(golden("plain"))
        let messages = try #require(report.routeCounts.first { $0.name == "POST /api/v10/channels/{id}/messages" })
        #expect(messages.count == 6)
        #expect(messages.detail == "404 ×6")
        #expect(report.marks.filter { $0.kind == .restFailure }.count == 6)
        let call = try #require(report.marks.first { $0.kind == .restFailure })
        let json = try JSONValue(parsing: call.json)
        #expect(json["status"] == 404 && json["method"] == "POST")
        #expect(json["request"]?["body"]?["content"]?.stringValue?.hasPrefix("pong") == true)
        #expect(report.analysis.timing.heartbeat.helloIntervalMs == 1000)
    }

    @Test func zombieCadenceAndHeartbeatKinds() throws {
        let report = try readReport(golden("zombie"))
        let cadence = report.analysis.timing.heartbeat
        #expect(cadence.count == report.marks.filter { $0.kind == .heartbeat }.count)
        #expect(cadence.count >= 4)
        #expect(report.marks.filter { $0.kind.isHeartbeat }.allSatisfy { $0.op == 1 || $0.op == 11 })
        #expect(report.controlCounts.first { $0.name == "stop_acks" }?.count == 2)
    }

    @Test func shardsGroupLanesAndUnknownSessionsAreRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/shards.sqlite"
            let hello = #"{"op":10,"d":{"heartbeat_interval":1000},"s":null,"t":null}"#
            try await writeRecording(path, [
                at(0) { .session(SessionRecord(id: "s1", name: "bot", tokenSHA256: "00", t: $0)) },
                at(1) { .connectionOpened(ConnectionOpenedRecord(connectionID: 1, query: "v=10", t: $0)) },
                at(1) { _ in .connectionIdentified(ConnectionIdentifiedRecord(connectionID: 1, sessionID: "s1", gatewaySessionID: "g1", shardID: 1, shardCount: 2)) },
                at(2) { .connectionOpened(ConnectionOpenedRecord(connectionID: 2, query: "v=10", t: $0)) },
                at(2) { _ in .connectionIdentified(ConnectionIdentifiedRecord(connectionID: 2, sessionID: "s1", gatewaySessionID: "g0", shardID: 0, shardCount: 2)) },
                at(3, frame(1, .outbound, hello)),
                at(4, frame(2, .outbound, hello)),
                at(5) { .connectionClosed(ConnectionClosedRecord(connectionID: 1, code: 4009, reason: nil, closedBy: .server, t: $0)) },
            ])
            let report = try readReport(path)
            #expect(report.lanes.prefix(2).map { $0.connection?.id } == [2, 1], "shard 0 first")
            #expect(report.lanes.prefix(2).map(\.group) == ["shard 0", "shard 1"])
            #expect(report.lanes[1].closeSummary == "4009 by server")
            #expect(report.analysis.hints.map(\.kind) == [.missedHeartbeats])
            #expect(throws: RecordingError.self) { try readReport(path, session: "nope") }
        }
    }
}
