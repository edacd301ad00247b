#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system operations the recorder, exporter and importer need, with errors mapped to
/// `RecordingError`.
enum FileSystem {
    /// Whether anything (file, directory, dangling link) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The size of a file in bytes (`nil` when it does not exist).
    static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    /// Removes a file, ignoring errors.
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Whether `path` is a directory.
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Up to `count` bytes from the start of a file.
    static func readPrefix(_ path: String, count: Int) throws(RecordingError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RecordingError.io(path, "open", errnoText()) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            filled += got
        }
        return Array(buffer[..<filled])
    }

    /// Refuses an existing output unless `overwrite`.
    static func checkOutput(_ path: String, overwrite: Bool) throws(RecordingError) {
        if isDirectory(path) { throw RecordingError.io(path, "write", "is a directory") }
        if !overwrite && exists(path) { throw RecordingError.fileExists(path) }
    }

    /// Creates an empty file at `path` for a new database (removing an existing one and its WAL
    /// companions when `overwrite`), so that two recorders can never share a file.
    /// - Parameter displayName: the name errors mention (the final output when `path` is a temporary file).
    static func createExclusively(_ path: String, overwrite: Bool, displayName: String? = nil) throws(RecordingError) {
        let name = displayName ?? path
        try checkOutput(path, overwrite: overwrite)
        if overwrite && exists(path) {
            guard unlink(path) == 0 else { throw RecordingError.io(name, "replace", errnoText()) }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw RecordingError.fileExists(name) }
            throw RecordingError.io(name, "create", errnoText(code))
        }
        close(fd)
        // Companions left by another database of the same name would be replayed into this one.
        for suffix in ["-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }

    /// Removes a database file and its companions (after a failed creation).
    static func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }

    /// A fresh name in the same directory as `path`, for writing before an atomic rename.
    static func temporaryPath(besides path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let random = UInt64.random(in: 0..<UInt64.max)
        return directory + "." + name + ".tmp-\(getpid())-" + String(random, radix: 36)
    }

    /// Moves a finished temporary file to `path`. Without `overwrite` the move fails, leaving `path`
    /// untouched, if something appeared there meanwhile (hard link, then unlink; rename where the
    /// file system has no hard links).
    static func publish(_ temporary: String, as path: String, overwrite: Bool) throws(RecordingError) {
        if overwrite {
            guard rename(temporary, path) == 0 else {
                let text = errnoText()
                unlink(temporary)
                throw RecordingError.io(path, "write", text)
            }
            return
        }
        if link(temporary, path) == 0 {
            unlink(temporary)
            return
        }
        let code = errno
        if code == EEXIST {
            unlink(temporary)
            throw RecordingError.fileExists(path)
        }
        // No hard links here (some network or FUSE file systems): check, then rename.
        guard !exists(path) else {
            unlink(temporary)
            throw RecordingError.fileExists(path)
        }
        guard rename(temporary, path) == 0 else {
            let text = errnoText()
            unlink(temporary)
            throw RecordingError.io(path, "write", text)
        }
    }

    /// Flushes a file's data to disk (before renaming it into place).
    static func syncFile(_ path: String) throws(RecordingError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RecordingError.io(path, "write", errnoText()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw RecordingError.io(path, "write", errnoText()) }
    }

    /// The current time as ISO 8601 UTC, e.g. `2025-03-01T12:34:56Z`.
    static func iso8601Now() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2) + "Z"
    }

    /// Names the calling thread as `top` and /proc show it (Linux cuts names to 15 characters).
    static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        defer { _ = close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #endif
    }
}
