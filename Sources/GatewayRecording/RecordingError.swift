/// Why a recording (or an export of one) could not be opened, read, written or imported.
///
/// `description` is one line that names the file, says what is wrong and what to do, ready for
/// stderr: the CLI prints it and exits 2 (bad input) or 3 (runtime failure, see ``isInputProblem``).
///
/// ```swift
/// do {
///     let reader = try RecordingReader(path: "run.sqlite")
/// } catch let error where error.code == .newerVersion {
///     print(error)   // run.sqlite has recording format version 2; this gatewaytape reads up to 1: upgrade gatewaytape
/// }
/// ```
public struct RecordingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of problem it is; compare with the static members (`error.code == .damaged`).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file does not exist.
        public static let fileNotFound = Code(rawValue: "file_not_found")
        /// The file is not a SQLite database at all.
        public static let notSQLite = Code(rawValue: "not_sqlite")
        /// The file is a SQLite database whose pages are damaged.
        public static let damaged = Code(rawValue: "damaged")
        /// The file's format version (`PRAGMA user_version`) is newer than this build reads.
        public static let newerVersion = Code(rawValue: "newer_version")
        /// A valid SQLite database without the recording tables and columns (SPEC §7).
        public static let notARecording = Code(rawValue: "not_a_recording")
        /// An output file exists and overwriting was not asked for.
        public static let fileExists = Code(rawValue: "file_exists")
        /// The recording holds no session with the given id.
        public static let sessionNotFound = Code(rawValue: "session_not_found")
        /// A JSON-lines export file that is malformed.
        public static let badExport = Code(rawValue: "bad_export")
        /// Reading or writing failed at the operating-system or SQLite level (permissions, disk full, ...).
        public static let ioFailure = Code(rawValue: "io_failure")
    }

    /// What kind of problem it is.
    public let code: Code
    /// The file concerned, when there is one.
    public let path: String?
    /// One line: what is wrong and what to do.
    public let message: String

    /// Creates an error; `message` should be one line that says what to do.
    public init(code: Code, path: String?, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { message }

    /// `true` when the problem is the input the user gave (exit status 2), `false` for runtime
    /// failures such as a full disk (exit status 3).
    public var isInputProblem: Bool { code != .ioFailure }

    // MARK: Constructors with the standard messages

    static func fileNotFound(_ path: String) -> RecordingError {
        RecordingError(code: .fileNotFound, path: path, message: "cannot open \(path): no such file; check the path")
    }

    static func notSQLite(_ path: String, _ detail: String? = nil) -> RecordingError {
        let what = detail.map { " (\($0))" } ?? ""
        return RecordingError(
            code: .notSQLite, path: path,
            message: "\(path) is not a SQLite file\(what), so not a gatewaytape recording; check the path")
    }

    static func damaged(_ path: String, _ detail: String) -> RecordingError {
        RecordingError(
            code: .damaged, path: path,
            message: "\(path) is damaged (\(oneLine(detail))); restore a copy or record again "
                + "(`sqlite3 \(path) .recover` may salvage rows)")
    }

    static func newerVersion(_ path: String, found: Int64) -> RecordingError {
        RecordingError(
            code: .newerVersion, path: path,
            message: "\(path) has recording format version \(found); this gatewaytape reads up to "
                + "\(RecordingSchema.currentVersion): upgrade gatewaytape to read it")
    }

    static func notARecording(_ path: String, _ detail: String) -> RecordingError {
        RecordingError(
            code: .notARecording, path: path,
            message: "\(path) is a SQLite file but not a gatewaytape recording (\(oneLine(detail))); check the path")
    }

    static func fileExists(_ path: String) -> RecordingError {
        RecordingError(code: .fileExists, path: path, message: "\(path) already exists; pass --overwrite to replace it")
    }

    static func sessionNotFound(_ path: String, _ id: String) -> RecordingError {
        RecordingError(
            code: .sessionNotFound, path: path,
            message: "\(path) has no session \"\(oneLine(id))\"; run `gatewaytape inspect \(path)` to list its sessions")
    }

    static func badExport(_ path: String, line: Int, _ detail: String) -> RecordingError {
        RecordingError(
            code: .badExport, path: path,
            message: "\(path) line \(line): \(oneLine(detail)); expected the output of `gatewaytape export`")
    }

    static func io(_ path: String, _ action: String, _ detail: String) -> RecordingError {
        RecordingError(code: .ioFailure, path: path, message: "cannot \(action) \(path): \(oneLine(detail))")
    }

    /// Maps a SQLite failure while reading `path`.
    static func reading(_ path: String, _ error: SQLiteError) -> RecordingError {
        if error.isDamage { return .damaged(path, error.message) }
        if error.message.hasPrefix("no such column") || error.message.hasPrefix("no such table") {
            return .notARecording(path, error.message)
        }
        return .io(path, "read", error.message)
    }

    /// Maps a SQLite failure while writing `path`.
    static func writing(_ path: String, _ error: SQLiteError) -> RecordingError {
        .io(path, "write", error.message)
    }

    /// Keeps a message on one line.
    static func oneLine(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            result.unicodeScalars.append(scalar == "\n" || scalar == "\r" ? " " : scalar)
        }
        return result
    }
}
