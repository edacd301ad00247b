import Foundation
import GatewayTestClient
import Testing

/// `--scenario` on the command line: a bad file is one line on stderr naming the rule and the
/// field, and exit status 2 (SPEC §1, §9); on `proxy`, so is a rule that makes events of its own.
@Suite(.timeLimit(.minutes(1)))
struct ScenarioCommandLineTests {
    @Test(arguments: [
        (["serve"], "rules:\n  - name: zombie\n    when: {client_op: 1, nth: 0}\n    do: [{stop_acks: true}]\n", "rule 1 \"zombie\": when.nth: must be a positive integer"),
        (["serve"], #"{"rules": [{"when": {"client_op": 6}, "do": [{"invalid_session": {"resumable": "no"}}]}]}"#, "rule 1: do[0].invalid_session.resumable: must be true or false"),
        (["proxy"], "rules:\n  - when: {client_op: 2}\n    do: [{disconnect: {code: 99}}]\n", "rule 1: do[0].disconnect.code: required, an integer close code from 1000 to 4999"),
        (["proxy"], "rules:\n  - {when: {client_op: 1}, do: [{stop_acks: true}]}\n  - name: fake\n    when: {client_op: 2}\n    do: [{dispatch: {event: MESSAGE_CREATE, data: {}}}]\n", "rule 2 \"fake\": do[0].dispatch: not available in proxy mode (the upstream owns the session's events and sequence numbers)"),
        (["replay", "recordings/plain.sqlite"], "rules:\n  - when: {client_op: 2}\n    do: [{disconnect: {code: 4000}}]\n  - when: {connection: gone}\n    do: [{drop: {}}]\n", "rule 2: when.connection: must be one of open, identified, resumed, closed"),
    ])
    func badScenarioExitsTwoNamingRuleAndField(command: [String], document: String, expected: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString).yaml")
        try Data(document.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try gatewaytapeBinary())
        process.currentDirectoryURL = root
        process.arguments = command + ["--port", "0", "--scenario", file.path]
        let stderr = Pipe()
        let stdout = Pipe()
        process.standardError = stderr
        process.standardOutput = stdout
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(message == "gatewaytape: bad scenario \(file.path): \(expected)\n")
        #expect(stdout.fileHandleForReading.readDataToEndOfFile().isEmpty, "nothing listens")
    }
}
