import Foundation
import GatewayDiff

/// The verdict of a replay as JUnit XML, for CI systems: one test suite, one test case per replayed
/// session, a `<failure>` with the first divergence when the bot behaved differently.
public struct JUnitReport: Sendable {
    public var recording: String
    public var outcome: ReplayOutcome
    public var verdict: ReplayVerdict?
    public var duration: Duration

    public init(recording: String, outcome: ReplayOutcome, verdict: ReplayVerdict?, duration: Duration) {
        self.recording = recording
        self.outcome = outcome
        self.verdict = verdict
        self.duration = duration
    }

    /// The XML document.
    public var xml: String {
        let seconds = String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        let name = Self.escape("replay " + recording)
        var failure = ""
        if let reason = outcome.timeoutReason {
            failure = "<failure message=\"\(Self.escape(reason))\" type=\"timeout\"></failure>"
        } else if let verdict, !verdict.passed {
            let first = verdict.firstProblem ?? "the bot behaved differently"
            failure = "<failure message=\"\(Self.escape(first))\" type=\"divergence\">\(Self.escape(verdict.render(color: false)))</failure>"
        }
        let failures = failure.isEmpty ? 0 : 1
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites tests="1" failures="\(failures)" errors="0" time="\(seconds)">
              <testsuite name="gatewaytape replay" tests="1" failures="\(failures)" errors="0" skipped="0" time="\(seconds)">
                <testcase classname="gatewaytape.replay" name="\(name)" time="\(seconds)">\(failure)</testcase>
              </testsuite>
            </testsuites>

            """
    }

    /// Writes the XML to a file (replacing it).
    public func write(to path: String) throws {
        try Data(xml.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default:
                if let ascii = character.asciiValue, ascii < 0x20, ascii != 0x0A, ascii != 0x09 { continue }
                escaped.append(character)
            }
        }
        return escaped
    }
}
