#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered output: standard output, or a temporary file that becomes the real output only once
/// it is complete (`commit`), so that no partly written output is ever left under the real name.
/// Other modules use ``write(to:overwrite:_:)``.
public final class OutputFile {
    private var file: UnsafeMutablePointer<FILE>?
    /// The temporary file, `nil` for standard output.
    let temporaryPath: String?
    private let displayName: String

    private init(file: UnsafeMutablePointer<FILE>, temporaryPath: String?, displayName: String) {
        self.file = file
        self.temporaryPath = temporaryPath
        self.displayName = displayName
    }

    /// Standard output.
    static func standardOutput() throws(RecordingError) -> OutputFile {
        // A stream of our own on descriptor 1 (the C `stdout` global is not concurrency-safe in Swift 6).
        guard let file = fdopen(1, "w") else { throw RecordingError.io("standard output", "write", FileSystem.errnoText()) }
        return OutputFile(file: file, temporaryPath: nil, displayName: "standard output")
    }

    /// A new temporary file in the directory of `path`.
    convenience init(temporaryBesides path: String) throws(RecordingError) {
        let temporary = FileSystem.temporaryPath(besides: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0, let file = fdopen(fd, "w") else {
            throw RecordingError.io(path, "write", FileSystem.errnoText())
        }
        self.init(file: file, temporaryPath: temporary, displayName: path)
    }

    deinit {
        if temporaryPath != nil { discard() }
    }

    /// Appends bytes.
    func write(_ bytes: [UInt8]) throws(RecordingError) {
        guard let file else { return }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == bytes.count else { throw RecordingError.io(displayName, "write", FileSystem.errnoText()) }
    }

    /// Flushes buffered bytes (standard output).
    func flush() throws(RecordingError) {
        guard let file else { return }
        guard fflush(file) == 0 else { throw RecordingError.io(displayName, "write", FileSystem.errnoText()) }
    }

    /// Flushes, syncs and closes the temporary file, then moves it to `path`.
    func commit(as path: String, overwrite: Bool) throws(RecordingError) {
        guard let file, let temporaryPath else { return }
        self.file = nil
        let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
        let error = FileSystem.errnoText()
        let closed = fclose(file) == 0
        guard flushed, closed else {
            unlink(temporaryPath)
            throw RecordingError.io(path, "write", error)
        }
        try FileSystem.publish(temporaryPath, as: path, overwrite: overwrite)
    }

    /// Closes and removes the temporary file (idempotent; no-op after `commit`).
    func discard() {
        guard let temporaryPath, let file else { return }
        fclose(file)
        self.file = nil
        unlink(temporaryPath)
    }
}

extension OutputFile {
    /// Writes a whole output file the way every command does: an existing `path` is refused unless
    /// `overwrite` (before `contents` runs), the bytes go to a temporary file beside it, which is
    /// renamed to `path` only once complete.
    /// - Parameter contents: makes the bytes (called once the output is known to be writable).
    /// - Throws: ``RecordingError`` (`.fileExists`, `.ioFailure` naming `path`, or what `contents` throws).
    public static func write(
        to path: String, overwrite: Bool, _ contents: () throws(RecordingError) -> [UInt8]
    ) throws(RecordingError) {
        try FileSystem.checkOutput(path, overwrite: overwrite)
        let bytes = try contents()
        let output = try OutputFile(temporaryBesides: path)
        do throws(RecordingError) {
            try output.write(bytes)
            try output.commit(as: path, overwrite: overwrite)
        } catch {
            output.discard()
            throw error
        }
    }
}
