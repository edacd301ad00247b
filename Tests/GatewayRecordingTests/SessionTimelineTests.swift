import Foundation
import GatewayModel
import Testing

@testable import GatewayRecording

@Suite("SessionTimeline")
struct SessionTimelineTests {
    @Test("opens, frames, controls, REST calls and closes are interleaved by time; frames keep wire order")
    func ordering() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/timeline.sqlite"
            let start = MonotonicClock.now()
            let recorder = try Recorder(path: path, mode: .serve, startTime: start)
            recordSampleSession(recorder, start: start)
            try await recorder.finish()

            let timeline = try SessionTimeline(reader: RecordingReader(path: path), sessionID: "s1")
            #expect(timeline.originNs == 1_000_000)
            let kinds = timeline.entries.map { entry -> String in
                switch entry.kind {
                case .connectionOpened(let c): "open \(c.id)"
                case .frame(let f): "frame \(f.id)"
                case .connectionClosed(let c): "close \(c.id)"
                case .control(let c): "control \(c.action)"
                case .http(let h): "http \(h.path)"
                }
            }
            #expect(kinds == [
                "http /api/v10/gateway/bot", "open 7",
                "frame 1", "frame 2", "frame 3", "frame 4", "frame 5", "frame 6", "frame 7",
                "control disconnect", "close 7", "control heartbeat_interval", "open 8", "close 8",
            ])
            #expect(timeline.offsetMilliseconds(timeline.entries[0].tNs) == 1)
        }
    }
}
