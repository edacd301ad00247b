#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file (or standard input for `-`) line by line, without holding it all in memory.
final class InputLines {
    private var file: UnsafeMutablePointer<FILE>?
    private let ownsFile: Bool
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    /// The number of the line last returned (1-based).
    private(set) var lineNumber = 0

    /// Opens `path`, or standard input when `path` is `-`.
    init(path: String) throws(RecordingError) {
        if path == "-" {
            guard let input = fdopen(0, "r") else { throw RecordingError.io("standard input", "read", FileSystem.errnoText()) }
            file = input
            ownsFile = false
            return
        }
        guard FileSystem.exists(path) else { throw RecordingError.fileNotFound(path) }
        guard !FileSystem.isDirectory(path) else { throw RecordingError.io(path, "read", "is a directory") }
        guard let file = fopen(path, "r") else { throw RecordingError.io(path, "open", FileSystem.errnoText()) }
        self.file = file
        ownsFile = true
    }

    deinit {
        free(buffer)
        if ownsFile, let file { fclose(file) }
    }

    /// The next line without its `\n` (and a `\r` before it), or `nil` at the end.
    /// - Throws: `.ioFailure` when reading fails.
    func next(name: String) throws(RecordingError) -> [UInt8]? {
        guard let file else { return nil }
        let count = getline(&buffer, &capacity, file)
        guard count >= 0 else {
            if ferror(file) != 0 { throw RecordingError.io(name, "read", FileSystem.errnoText()) }
            return nil
        }
        lineNumber += 1
        var length = count
        buffer!.withMemoryRebound(to: UInt8.self, capacity: count) { bytes in
            if length > 0 && bytes[length - 1] == 0x0A { length -= 1 }
            if length > 0 && bytes[length - 1] == 0x0D { length -= 1 }
        }
        return buffer!.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}
