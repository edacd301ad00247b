import CSQLite

/// SQLite's `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the bind call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement: bind (1-based parameters), step, read columns (0-based), reset.
final class SQLiteStatement {
    private(set) var handle: OpaquePointer?
    private unowned let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { finalize() }

    /// Frees the statement (idempotent).
    func finalize() {
        if let handle {
            sqlite3_finalize(handle)
            self.handle = nil
        }
    }

    // MARK: Binding

    @inline(__always)
    func bindNull(at index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    @inline(__always)
    func bind(_ value: Int64?, at index: Int32) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    @inline(__always)
    func bind(_ value: Int?, at index: Int32) {
        if let value { sqlite3_bind_int64(handle, index, Int64(value)) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds text (copied by SQLite); `nil` binds NULL, `""` binds an empty string (not NULL).
    @inline(__always)
    func bind(_ value: String?, at index: Int32) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            bindTextCopy(UnsafeRawBufferPointer(bytes), at: index)
        }
    }

    /// Binds text bytes (copied by SQLite); `nil` binds NULL, an empty array binds `""`.
    @inline(__always)
    func bind(text value: [UInt8]?, at index: Int32) {
        guard let value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUnsafeBytes { bytes in bindTextCopy(bytes, at: index) }
    }

    @inline(__always)
    private func bindTextCopy(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), sqliteTransient)
        } else {
            sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
        }
    }

    /// Binds a static string without copying.
    @inline(__always)
    func bindStatic(_ value: StaticString, at index: Int32) {
        value.withUTF8Buffer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { pointer in
                _ = sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), nil)
            }
        }
    }

    /// Binds text without copying: the bytes must stay valid until the statement is stepped and reset
    /// (`SQLITE_STATIC`). An empty buffer binds `""`, not NULL.
    @inline(__always)
    func bindTextNoCopy(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
        } else {
            sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
        }
    }

    // MARK: Stepping

    /// Steps once: `true` when a row is available, `false` when done.
    @inline(__always)
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Steps a statement that returns no rows, then resets it for reuse.
    @inline(__always)
    func run() throws(SQLiteError) {
        defer { sqlite3_reset(handle) }
        _ = try step()
    }

    @inline(__always)
    func reset() {
        sqlite3_reset(handle)
    }

    // MARK: Columns

    @inline(__always)
    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    /// An integer column (`nil` for NULL).
    @inline(__always)
    func int64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(handle, column)
    }

    /// An integer column as `Int` (`nil` for NULL).
    @inline(__always)
    func int(_ column: Int32) -> Int? {
        isNull(column) ? nil : Int(sqlite3_column_int64(handle, column))
    }

    /// A text column's exact bytes (`nil` for NULL; a BLOB gives its bytes).
    func bytes(_ column: Int32) -> [UInt8]? {
        guard !isNull(column) else { return nil }
        // Ask for the text first, then its length (the order SQLite documents).
        guard let text = sqlite3_column_text(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeBufferPointer(start: text, count: count))
    }

    /// A text column as a `String` (`nil` for NULL; invalid UTF-8 is repaired).
    func string(_ column: Int32) -> String? {
        guard !isNull(column) else { return nil }
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
}
