import Foundation
import GatewayTestClient
import Testing

/// `gatewaytape diff` as a binary: exit statuses 0 / 1 / 2 and one line on stderr for bad input.
/// Runs the binary `swift build` put beside the test bundle, and fails when there is none.
@Suite(.serialized) struct CommandLineTests {

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func diff(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try gatewaytapeBinary())
        process.arguments = ["diff"] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    @Test func equalExitsZero() throws {
        let run = try Self.diff([recording("baseline", copy: "cli"), recording("baseline-rerun", copy: "cli")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("EQUAL"))
        #expect(!run.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test func differentExitsOne() throws {
        let run = try Self.diff([recording("baseline", copy: "cli"), recording("answers", copy: "cli"), "--format", "json"])
        #expect(run.status == 1)
        #expect(run.stderr.isEmpty)
        #expect(run.stdout.contains("\"equal\":false"))
        let ignored = try Self.diff([recording("baseline", copy: "cli"), recording("presence", copy: "cli"), "--ignore", "/d/presence"])
        #expect(ignored.status == 0, "\(ignored.stdout)")
    }

    @Test(arguments: [
        ["/nonexistent.sqlite", "B"],
        ["A", "B", "--session", "no-such-session"],
        ["A", "B", "--ignore", "d/presence"],
        ["A", "/etc/hostname"],
    ])
    func badInputExitsTwo(_ arguments: [String]) throws {
        let resolved = arguments.map { $0 == "A" ? recording("baseline", copy: "cli") : $0 == "B" ? recording("intents", copy: "cli") : $0 }
        let run = try Self.diff(resolved)
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
}
