import Foundation
import Testing

/// `gatewaytape report` as a binary: the default output name, no overwrite without --overwrite,
/// one line on stderr and exit 2 for bad input. Needs `.build/debug/gatewaytape`; skipped without it.
@Suite(.serialized) struct ReportCommandTests {
    static let binary = packageRoot + "/.build/debug/gatewaytape"
    static var hasBinary: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    static func report(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["report"] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test(.enabled(if: hasBinary)) func writesFileWithHTMLBesideTheRecording() async throws {
        try await withTemporaryDirectory { directory in
            let recording = directory + "/run.sqlite"
            try FileManager.default.copyItem(atPath: golden("resume"), toPath: recording)
            let first = try Self.report([recording])
            #expect(first.status == 0 && first.stdout.isEmpty && first.stderr.isEmpty, "\(first)")
            let page = try String(contentsOfFile: directory + "/run.html", encoding: .utf8)
            #expect(page.contains("golden resume") && page.contains("4000 (Unknown error.)"))

            let again = try Self.report([recording])
            #expect(again.status == 2, "an existing output is refused")
            #expect(again.stderr.split(separator: "\n").count == 1 && again.stderr.contains("--overwrite"), "\(again.stderr)")
            #expect(try String(contentsOfFile: directory + "/run.html", encoding: .utf8) == page)
            #expect(try Self.report([recording, "--overwrite"]).status == 0)

            let named = try Self.report([recording, "--output", directory + "/named.html", "--session", "d38de46e2a3b"])
            #expect(named.status == 0, "\(named)")
            let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            #expect(left == ["named.html", "run.html", "run.sqlite"], "no temporary file left")
        }
    }

    @Test(.enabled(if: hasBinary), arguments: [
        ["/nonexistent.sqlite"], ["/etc/hostname"], ["RESUME", "--session", "no-such-session"],
    ])
    func badInputExitsTwo(_ arguments: [String]) async throws {
        try await withTemporaryDirectory { directory in
            let resolved = arguments.map { $0 == "RESUME" ? golden("resume") : $0 } + ["--output", directory + "/out.html"]
            let run = try Self.report(resolved)
            #expect(run.status == 2, "\(run)")
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/out.html"))
        }
    }
}
