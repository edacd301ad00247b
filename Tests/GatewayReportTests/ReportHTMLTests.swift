import Foundation
import GatewayModel
import GatewayRecording
import GatewayReport
import Testing

/// The page: self-contained, script-safe, and its compact data decodes back to the marks.
@Suite struct ReportHTMLTests {
    /// The text of the script element with `id`.
    static func script(_ html: String, id: String) throws -> Substring {
        let open = try #require(html.range(of: "id=\"\(id)\">"))
        let close = try #require(html.range(of: "</script>", range: open.upperBound..<html.endIndex))
        return html[open.upperBound..<close.lowerBound]
    }

    @Test(arguments: ["plain", "resume", "zombie", "invalidate"])
    func pageIsSelfContained(_ name: String) throws {
        let html = String(decoding: try readReport(golden(name)).html(), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("default-src 'none'"), "the CSP forbids every request")
        for forbidden in ["<script src", "<link rel=\"stylesheet\"", "@import", "url(", "<img", "<iframe"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        #expect(html.components(separatedBy: "</script>").count == 4, "three script elements, none closed early")
    }

    @Test func dataDecodesBackToTheMarks() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/tricky.sqlite"
            let tricky = #"{"op":0,"s":2,"t":"MESSAGE_CREATE","d":{"content":"</script><script>alert(1)</script> 😀 é","x":1}}"#
            let withReturn = "{\"op\":1,\r\n\"d\":7}"
            try await writeRecording(path, [
                at(0) { .session(SessionRecord(id: "s1", name: "<b>bot</b>", tokenSHA256: "00", t: $0)) },
                at(1) { .connectionOpened(ConnectionOpenedRecord(connectionID: 1, query: "v=10", t: $0)) },
                at(1) { _ in .connectionIdentified(ConnectionIdentifiedRecord(connectionID: 1, sessionID: "s1", gatewaySessionID: "g", shardID: nil, shardCount: nil)) },
                at(2.5, frame(1, .outbound, tricky)),
                at(3.25, frame(1, .inbound, withReturn)),
                at(4) { .http(HTTPRecord(sessionID: "s1", method: "GET", path: "/api/v10/users/@me", status: 200, request: "not json", response: #"{"id":"1"}"#, t: $0)) },
                at(5) { .control(ControlRecord(sessionID: "s1", action: "drop", args: "{}", t: $0)) },
                at(6) { .connectionClosed(ConnectionClosedRecord(connectionID: 1, code: nil, reason: nil, closedBy: .drop, t: $0)) },
            ])
            let report = try readReport(path)
            let html = String(decoding: report.html(), as: UTF8.self)
            #expect(html.components(separatedBy: "</script>").count == 4)
            #expect(html.contains("(&lt;b&gt;bot&lt;/b&gt;)"), "header text is escaped")

            let data = try JSONValue(parsing: String(try Self.script(html, id: "gt-data")))
            let names = try #require(data["names"]?.arrayValue).compactMap(\.stringValue)
            let flat = try #require(data["marks"]?.arrayValue).compactMap(\.int64Value)
            #expect(flat.count == report.marks.count * 7)
            let blob = Array(try Self.script(html, id: "gt-payloads").utf16)
            var micros: Int64 = 0
            var offset = 0
            for (index, mark) in report.marks.enumerated() {
                let row = flat[(index * 7)..<(index * 7 + 7)].map { $0 }
                micros += row[0]
                #expect(micros == (mark.tNs - report.originNs) / 1000)
                #expect(row[1] == Int64(mark.lane) && row[2] == Int64(mark.kind.rawValue))
                #expect(names[Int(row[3])] == mark.name)
                #expect(row[4] == Int64((mark.op ?? -1) + 1) && row[5] == (mark.seq ?? -1) + 1)
                let text = String(decoding: blob[offset..<(offset + Int(row[6]))], as: UTF16.self)
                offset += Int(row[6])
                let sent = String(String.UnicodeScalarView(mark.json.unicodeScalars.map { $0 == "\r" ? " " : $0 }))
                #expect(text.replacing("\\u003c", with: "<") == sent, "a carriage return becomes a space")
            }
            #expect(offset == blob.count)
            #expect(report.marks.map(\.name) == ["MESSAGE_CREATE", "HEARTBEAT", "GET /api/v10/users/@me", "drop", "CLOSE"])
            let call = try JSONValue(parsing: report.marks[2].json)
            #expect(call["request"] == "not json" && call["response"]?["id"] == "1")
            #expect(report.lanes.first?.closeSummary == "dropped")
            let lanes = try #require(data["lanes"]?.arrayValue)
            #expect(lanes.map { $0["kind"]?.stringValue } == ["connection", "rest", "controls"])
        }
    }
}
