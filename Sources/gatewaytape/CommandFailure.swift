import ArgumentParser
import Foundation

/// Exit statuses shared by every subcommand (SPEC §1).
enum ExitStatus {
    static let differs: Int32 = 1
    static let badInput: Int32 = 2
    static let runtimeFailure: Int32 = 3
}

/// Prints one line to stderr and returns the `ExitCode` to throw, so every command fails the same way:
/// `throw fail("cannot open run.sqlite: not a SQLite file", status: ExitStatus.badInput)`.
func fail(_ message: String, status: Int32) -> ExitCode {
    FileHandle.standardError.write(Data(("gatewaytape: " + message + "\n").utf8))
    return ExitCode(status)
}
