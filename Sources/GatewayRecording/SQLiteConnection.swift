import CSQLite

/// A failed SQLite call: the result code and SQLite's message. Internal: public API maps it to
/// `RecordingError` with the file name and what the user should do.
struct SQLiteError: Error, CustomStringConvertible {
    /// The primary result code (`SQLITE_CORRUPT`, `SQLITE_NOTADB`, ...).
    var code: Int32
    var message: String

    var description: String { message }

    /// The file is not a database or is damaged.
    var isDamage: Bool { code == SQLITE_CORRUPT || code == SQLITE_NOTADB }
}

/// One SQLite connection, used by one thread at a time (opened with `SQLITE_OPEN_NOMUTEX`).
///
/// A thin layer over the C API: `execute` for statements without results, `prepare` for
/// statements that are bound and stepped.
final class SQLiteConnection {
    private(set) var handle: OpaquePointer?
    let path: String

    /// Opens `path` with the given `SQLITE_OPEN_*` flags (`SQLITE_OPEN_NOMUTEX` is added).
    init(path: String, flags: Int32) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc & 0xff, message: message)
        }
        sqlite3_extended_result_codes(db, 0)
        handle = db
    }

    deinit { close() }

    /// Closes the connection (idempotent). Statements must have been finalized.
    func close() {
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    var errorMessage: String {
        guard let handle else { return "database is closed" }
        return String(cString: sqlite3_errmsg(handle))
    }

    func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc & 0xff, message: handle == nil ? String(cString: sqlite3_errstr(rc)) : errorMessage)
    }

    /// Runs one or more statements that return no rows of interest.
    func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// Prepares one statement; `persistent` for statements reused many times.
    func prepare(_ sql: String, persistent: Bool = false) throws(SQLiteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(handle, sql, -1, flags, &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc == SQLITE_OK ? SQLITE_MISUSE : rc) }
        return SQLiteStatement(statement, connection: self)
    }

    /// Copies the WAL into the file and switches to rollback-journal mode, which removes `-wal` and
    /// `-shm`: a finished recording then opens read-only anywhere (a read-only folder, a CI cache).
    /// Needs the only connection to the file; waits for readers up to the busy timeout.
    func leaveWAL() throws(SQLiteError) {
        let mode = try textColumn("PRAGMA journal_mode = DELETE").first ?? ""
        guard mode.lowercased() == "delete" else {
            throw SQLiteError(code: SQLITE_BUSY, message: "cannot leave WAL mode (journal_mode is \(mode))")
        }
    }

    /// The first column of the first row of `sql` as an integer (`nil` when no row or NULL).
    func scalarInt(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard try statement.step() else { return nil }
        return statement.int64(0)
    }

    /// The first column of every row of `sql` as text.
    func textColumn(_ sql: String) throws(SQLiteError) -> [String] {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        var result: [String] = []
        while try statement.step() { result.append(statement.string(0) ?? "") }
        return result
    }

    /// Whether a table (or view) named `name` exists.
    func tableExists(_ name: String) throws(SQLiteError) -> Bool {
        let statement = try prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1")
        defer { statement.finalize() }
        statement.bind(name, at: 1)
        return try statement.step()
    }

    /// The column names of a table.
    func columns(of table: String) throws(SQLiteError) -> Set<String> {
        let statement = try prepare("SELECT name FROM pragma_table_info(?1)")
        defer { statement.finalize() }
        statement.bind(table, at: 1)
        var names: Set<String> = []
        while try statement.step() { names.insert(statement.string(0) ?? "") }
        return names
    }
}
