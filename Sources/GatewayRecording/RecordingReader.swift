import CSQLite
import GatewayModel
import Synchronization

/// Reads a recording (SPEC §7), whether gatewaytape or another program wrote it.
///
/// Opening validates the file and throws a ``RecordingError`` whose description is one line for the
/// user: missing file (`.fileNotFound`), not SQLite (`.notSQLite`), damaged (`.damaged`), a format
/// version newer than this build (`.newerVersion`), a database without the recording tables
/// (`.notARecording`). A file with `user_version` 0 (written by a plain `sqlite3` script) reads as
/// version 1; optional columns may hold NULL; a missing `meta`, `controls` or `http` table reads as
/// empty. The file is opened read-only, so a recording that is still being written, or the WAL left
/// by a writer that crashed, can be read.
///
/// ```swift
/// let reader = try RecordingReader(path: "golden.sqlite")
/// for summary in try reader.sessions() {
///     print(summary.id, summary.frameCount, summary.closeCodes)
/// }
/// let frames = try reader.frames(sessionID: "s1")      // wire order, payloads byte for byte
/// ```
///
/// A session's frames include the frames with a NULL `session_id` on its connections (HELLO and
/// IDENTIFY cross the wire before a connection belongs to a session). Methods may be called from any
/// thread; calls are serialised.
public final class RecordingReader: Sendable {
    /// How much checking `init` does beyond reading the schema.
    public enum IntegrityCheck: Sendable {
        /// Only what opening and reading the schema notice (fast on big files).
        case none
        /// `PRAGMA quick_check` as well: reads every page, notices most damage up front.
        case quick
    }

    /// The file.
    public let path: String
    /// The format version: `PRAGMA user_version`, with 0 read as 1.
    public let formatVersion: Int

    private let connection: Mutex<SQLiteConnection?>
    /// `-wal` / `-shm` files that did not exist before this reader opened the file.
    private let createdCompanions: [String]
    private let hasMeta: Bool
    private let hasControls: Bool
    private let hasHTTP: Bool
    /// The `SELECT` expressions of the columns added after format version 1 (NULL when the file lacks them).
    private let causeColumn: String
    private let routeColumns: String

    /// Opens and validates a recording.
    /// - Parameters:
    ///   - path: the recording file.
    ///   - check: `.quick` (default) also runs `PRAGMA quick_check`.
    /// - Throws: ``RecordingError``.
    public init(path: String, check: IntegrityCheck = .quick) throws(RecordingError) {
        self.path = path
        try Self.checkHeader(path)
        // A read-only connection to a WAL file creates `-wal` and `-shm` and cannot remove them; the
        // reader removes the ones it created (see `removeCompanions`).
        let created = ["-wal", "-shm"].filter { !FileSystem.exists(path + $0) }
        createdCompanions = created
        let db: SQLiteConnection
        do {
            db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READONLY)
        } catch {
            throw error.isDamage ? .notSQLite(path, error.message) : .io(path, "open", error.message)
        }
        do {
            // Another reader (or the writer) may hold the WAL index for a moment: wait, don't fail.
            try db.execute("PRAGMA busy_timeout = 5000")
            _ = try db.scalarInt("SELECT count(*) FROM sqlite_master")
            let version = try db.scalarInt("PRAGMA user_version") ?? 0
            if version > Int64(RecordingSchema.currentVersion) { throw RecordingError.newerVersion(path, found: version) }
            if version < 0 { throw RecordingError.notARecording(path, "format version \(version)") }
            formatVersion = version == 0 ? 1 : Int(version)
            if check == .quick {
                let problems = try db.textColumn("PRAGMA quick_check(3)")
                if problems != ["ok"] {
                    throw RecordingError.damaged(path, problems.joined(separator: "; "))
                }
            }
            for table in RecordingSchema.requiredTables where try !db.tableExists(table) {
                throw RecordingError.notARecording(path, "it has no \(table) table")
            }
            hasMeta = try db.tableExists("meta")
            hasControls = try db.tableExists("controls")
            hasHTTP = try db.tableExists("http")
            let present = RecordingSchema.requiredTables + [hasMeta ? "meta" : nil, hasControls ? "controls" : nil,
                hasHTTP ? "http" : nil].compactMap { $0 }
            var presentColumns: [String: Set<String>] = [:]
            for table in present {
                let columns = try db.columns(of: table)
                presentColumns[table] = columns
                for column in RecordingSchema.columns[table] ?? [] where !columns.contains(column) {
                    throw RecordingError.notARecording(path, "table \(table) has no column \(column)")
                }
            }
            func optional(_ column: String, of table: String) -> String {
                presentColumns[table]?.contains(column) == true ? column : "NULL"
            }
            causeColumn = optional("cause_http_id", of: "frames")
            routeColumns = optional("route", of: "http") + ", " + optional("response_headers", of: "http")
        } catch let error as RecordingError {
            db.close()
            Self.removeCompanions(created, of: path)
            throw error
        } catch let error as SQLiteError {
            db.close()
            Self.removeCompanions(created, of: path)
            if error.isDamage { throw .damaged(path, error.message) }
            throw .io(path, "read", error.message)
        } catch {
            db.close()
            Self.removeCompanions(created, of: path)
            throw .io(path, "read", "\(error)")
        }
        connection = Mutex(db)
    }

    deinit {
        close()
    }

    /// Closes the file; later calls throw `.ioFailure`. Optional: the reader closes itself when released.
    public func close() {
        let wasOpen = connection.withLock { db -> Bool in
            guard let open = db else { return false }
            open.close()
            db = nil
            return true
        }
        if wasOpen { Self.removeCompanions(createdCompanions, of: path) }
    }

    /// Removes the `-wal` and `-shm` files this reader's connection created, when the WAL is empty
    /// (so nothing was written meanwhile: a recorder never opens an existing file). Leaves files that
    /// existed before, such as those of a live recorder or of a writer that crashed.
    private static func removeCompanions(_ created: [String], of path: String) {
        if created.contains("-wal") {
            guard FileSystem.size(path + "-wal") == 0 else { return }
            FileSystem.remove(path + "-wal")
        }
        if created.contains("-shm") && !FileSystem.exists(path + "-wal") {
            FileSystem.remove(path + "-shm")
        }
    }

    /// Rejects missing files, directories, and files that do not start like a SQLite database, before
    /// SQLite sees them (its own messages are vaguer).
    private static func checkHeader(_ path: String) throws(RecordingError) {
        guard FileSystem.exists(path) else { throw .fileNotFound(path) }
        if FileSystem.isDirectory(path) { throw .notSQLite(path, "it is a directory") }
        let header = try FileSystem.readPrefix(path, count: 100)
        if header.isEmpty { throw .notARecording(path, "the file is empty") }
        guard header.count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw .notSQLite(path)
        }
    }

    // MARK: Running queries

    /// Runs `body` with the open connection, mapping SQLite failures.
    private func withConnection<T: Sendable>(
        _ body: (SQLiteConnection) throws(SQLiteError) -> T
    ) throws(RecordingError) -> T {
        let path = path
        let result: Result<T, RecordingError> = connection.withLock { db in
            guard let db else { return .failure(.io(path, "read", "the reader is closed")) }
            do throws(SQLiteError) {
                return .success(try body(db))
            } catch {
                return .failure(.reading(path, error))
            }
        }
        return try result.get()
    }

    /// Prepares `sql`, binds `bindings` (Strings, Int64s, nil), and maps each row.
    private func query<T: Sendable>(
        _ sql: String, _ bindings: [BindValue] = [], row: (SQLiteStatement) throws(RecordingError) -> T
    ) throws(RecordingError) -> [T] {
        let path = path
        let result: Result<[T], RecordingError> = connection.withLock { db in
            guard let db else { return .failure(.io(path, "read", "the reader is closed")) }
            do throws(SQLiteError) {
                let statement = try db.prepare(sql)
                defer { statement.finalize() }
                for (index, value) in bindings.enumerated() {
                    let position = Int32(index + 1)
                    switch value {
                    case .null: statement.bindNull(at: position)
                    case .int(let int): statement.bind(int, at: position)
                    case .text(let text): statement.bind(text, at: position)
                    }
                }
                var rows: [T] = []
                while try statement.step() {
                    do throws(RecordingError) {
                        rows.append(try row(statement))
                    } catch {
                        return .failure(error)
                    }
                }
                return .success(rows)
            } catch {
                return .failure(.reading(path, error))
            }
        }
        return try result.get()
    }

    private enum BindValue {
        case null
        case int(Int64)
        case text(String)
    }

    // MARK: Metadata and sessions

    /// The `meta` rows (empty when the file has none).
    public func metadata() throws(RecordingError) -> RecordingMetadata {
        guard hasMeta else { return RecordingMetadata(entries: []) }
        let entries = try query("SELECT key, value FROM meta ORDER BY key") { statement throws(RecordingError) in
            RecordingMetadata.Entry(key: statement.string(0) ?? "", value: statement.string(1))
        }
        return RecordingMetadata(entries: entries)
    }

    /// The `sessions` rows, in `rowid` order.
    public func storedSessions() throws(RecordingError) -> [StoredSession] {
        try query("SELECT id, name, token_sha256, created_ns FROM sessions ORDER BY rowid") { statement throws(RecordingError) in
            StoredSession(
                id: statement.string(0) ?? "", name: statement.string(1), tokenSHA256: statement.string(2),
                createdNs: statement.int64(3))
        }
    }

    /// Every session with its figures, ordered by first event. Sessions that appear only in
    /// `connections` or `frames` (no `sessions` row) are listed too.
    public func sessions() throws(RecordingError) -> [SessionSummary] {
        var summaries: [String: SessionSummary] = [:]
        var order: [String] = []
        func entry(_ id: String) -> String {
            if summaries[id] == nil {
                summaries[id] = SessionSummary(
                    id: id, session: nil, connectionCount: 0, frameCount: 0, firstNs: nil, lastNs: nil, closeCodes: [])
                order.append(id)
            }
            return id
        }
        func widen(_ id: String, _ low: Int64?, _ high: Int64?) {
            if let low { summaries[id]!.firstNs = min(summaries[id]!.firstNs ?? low, low) }
            if let high { summaries[id]!.lastNs = max(summaries[id]!.lastNs ?? high, high) }
        }
        for session in try storedSessions() {
            summaries[entry(session.id)]!.session = session
            widen(session.id, session.createdNs, session.createdNs)
        }
        struct Aggregate: Sendable {
            var id: String
            var count: Int
            var low: Int64?
            var high: Int64?
        }
        func aggregate(_ sql: String) throws(RecordingError) -> [Aggregate] {
            try query(sql) { statement throws(RecordingError) in
                Aggregate(
                    id: statement.string(0) ?? "", count: statement.int(1) ?? 0, low: statement.int64(2),
                    high: statement.int64(3))
            }
        }
        for row in try aggregate(
            """
            SELECT session_id, count(*), min(opened_ns), max(max(coalesce(closed_ns, opened_ns), coalesce(opened_ns, closed_ns)))
            FROM connections WHERE session_id IS NOT NULL GROUP BY session_id
            """)
        {
            summaries[entry(row.id)]!.connectionCount = row.count
            widen(row.id, row.low, row.high)
        }
        for row in try aggregate(
            """
            SELECT coalesce(f.session_id, c.session_id) AS sid, count(*), min(f.t_ns), max(f.t_ns)
            FROM frames f LEFT JOIN connections c ON c.id = f.connection_id
            WHERE sid IS NOT NULL GROUP BY sid
            """)
        {
            summaries[entry(row.id)]!.frameCount = row.count
            widen(row.id, row.low, row.high)
        }
        for table in [hasControls ? "controls" : nil, hasHTTP ? "http" : nil].compactMap({ $0 }) {
            for row in try aggregate(
                "SELECT session_id, count(*), min(t_ns), max(t_ns) FROM \(table) WHERE session_id IS NOT NULL GROUP BY session_id")
            where summaries[row.id] != nil {
                widen(row.id, row.low, row.high)
            }
        }
        struct Close: Sendable {
            var id: String
            var code: Int
        }
        for close in try query(
            "SELECT session_id, close_code FROM connections WHERE session_id IS NOT NULL AND close_code IS NOT NULL ORDER BY id",
            row: { statement throws(RecordingError) in Close(id: statement.string(0) ?? "", code: statement.int(1) ?? 0) })
        {
            summaries[close.id]?.closeCodes.append(close.code)
        }
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return order.compactMap { summaries[$0] }.sorted { a, b in
            switch (a.firstNs, b.firstNs) {
            case let (x?, y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return position[a.id]! < position[b.id]!
            }
        }
    }

    /// One session's figures.
    /// - Throws: ``RecordingError`` `.sessionNotFound` when the recording has no such session.
    public func session(_ id: String) throws(RecordingError) -> SessionSummary {
        guard let summary = try sessions().first(where: { $0.id == id }) else { throw .sessionNotFound(path, id) }
        return summary
    }

    // MARK: Rows

    private static let connectionColumns =
        "id, session_id, gateway_session_id, shard_id, shard_count, opened_ns, closed_ns, close_code, close_reason, closed_by, query"

    private static func connection(_ statement: SQLiteStatement) -> StoredConnection {
        StoredConnection(
            id: statement.int64(0) ?? 0, sessionID: statement.string(1), gatewaySessionID: statement.string(2),
            shardID: statement.int(3), shardCount: statement.int(4), openedNs: statement.int64(5),
            closedNs: statement.int64(6), closeCode: statement.int(7), closeReason: statement.string(8),
            closedBy: statement.string(9), query: statement.string(10))
    }

    /// The connections of a session in `id` order; `nil` gives every connection of the file.
    public func connections(sessionID: String?) throws(RecordingError) -> [StoredConnection] {
        if let sessionID {
            return try query(
                "SELECT \(Self.connectionColumns) FROM connections WHERE session_id = ?1 ORDER BY id", [.text(sessionID)]
            ) { statement throws(RecordingError) in Self.connection(statement) }
        }
        return try query("SELECT \(Self.connectionColumns) FROM connections ORDER BY id") { statement throws(RecordingError) in
            Self.connection(statement)
        }
    }

    /// Connections that never identified (`session_id` NULL), in `id` order: for example a bot whose
    /// IDENTIFY was refused. Their frames are read with ``frames(connectionID:)``.
    public func unidentifiedConnections() throws(RecordingError) -> [StoredConnection] {
        try query("SELECT \(Self.connectionColumns) FROM connections WHERE session_id IS NULL ORDER BY id") {
            statement throws(RecordingError) in Self.connection(statement)
        }
    }

    /// The frames of one connection in wire order.
    public func frames(connectionID: Int64) throws(RecordingError) -> [StoredFrame] {
        try frameRows(filter: "connection_id = ?1", [.int(connectionID), .int(Int64.min), .int(-1)])
    }

    /// The frames of a session in wire order (`frames.id` order), including the frames with a NULL
    /// `session_id` on the session's connections.
    /// - Parameters:
    ///   - sessionID: the session; `nil` gives every frame of the file.
    ///   - afterID: only frames with a larger `id` (for reading a big session in pages).
    ///   - limit: at most this many frames.
    public func frames(sessionID: String?, afterID: Int64? = nil, limit: Int? = nil) throws(RecordingError) -> [StoredFrame] {
        let filter =
            sessionID == nil
            ? "?1 IS NULL"
            : "(session_id = ?1 OR (session_id IS NULL AND connection_id IN (SELECT id FROM connections WHERE session_id = ?1)))"
        return try frameRows(
            filter: filter,
            [sessionID.map { .text($0) } ?? .null, .int(afterID ?? Int64.min), .int(limit.map { Int64($0) } ?? -1)])
    }

    /// Frames matching `filter` (which uses ?1), with `id > ?2`, at most ?3 of them.
    private func frameRows(filter: String, _ bindings: [BindValue]) throws(RecordingError) -> [StoredFrame] {
        let columns = "id, connection_id, session_id, t_ns, direction, op, seq, event, payload, wire_bytes, \(causeColumn)"
        let sql = "SELECT \(columns) FROM frames WHERE \(filter) AND id > ?2 ORDER BY id LIMIT ?3"
        let path = path
        return try query(sql, bindings) { statement throws(RecordingError) in
            let id = statement.int64(0) ?? 0
            let directionText = statement.string(4)
            guard let direction = directionText.flatMap(FrameDirection.init(rawValue:)) else {
                throw RecordingError.notARecording(
                    path, "frames row \(id) has direction \(directionText.map { "\"\($0)\"" } ?? "NULL"), not \"in\" or \"out\"")
            }
            return StoredFrame(
                id: id, connectionID: statement.int64(1), sessionID: statement.string(2), tNs: statement.int64(3) ?? 0,
                direction: direction, op: statement.int(5), seq: statement.int64(6), event: statement.string(7),
                payload: statement.bytes(8) ?? [], wireBytes: statement.int(9), causeHTTPID: statement.int64(10))
        }
    }

    /// Control and fault actions in `id` order.
    /// - Parameters:
    ///   - sessionID: the session; `nil` gives every row of the file.
    ///   - includingUnassigned: with a session, also the rows whose `session_id` is NULL (server-wide
    ///     actions such as `heartbeat_interval`).
    public func controls(sessionID: String?, includingUnassigned: Bool = true) throws(RecordingError) -> [StoredControl] {
        guard hasControls else { return [] }
        let (filter, bindings) = Self.sessionFilter(sessionID, includingUnassigned)
        return try query("SELECT id, session_id, t_ns, action, args FROM controls WHERE \(filter) ORDER BY id", bindings) {
            statement throws(RecordingError) in
            StoredControl(
                id: statement.int64(0) ?? 0, sessionID: statement.string(1), tNs: statement.int64(2) ?? 0,
                action: statement.string(3) ?? "", args: statement.string(4))
        }
    }

    /// REST calls in `id` order (same filtering as ``controls(sessionID:includingUnassigned:)``).
    public func httpCalls(sessionID: String?, includingUnassigned: Bool = true) throws(RecordingError) -> [StoredHTTPCall] {
        guard hasHTTP else { return [] }
        let (filter, bindings) = Self.sessionFilter(sessionID, includingUnassigned)
        return try query(
            "SELECT id, session_id, t_ns, method, path, status, request, response, \(routeColumns) FROM http WHERE \(filter) ORDER BY id",
            bindings
        ) { statement throws(RecordingError) in
            StoredHTTPCall(
                id: statement.int64(0) ?? 0, sessionID: statement.string(1), tNs: statement.int64(2) ?? 0,
                method: statement.string(3) ?? "", path: statement.string(4) ?? "", status: statement.int(5),
                request: statement.string(6), response: statement.string(7), route: statement.string(8),
                responseHeaders: statement.string(9))
        }
    }

    private static func sessionFilter(_ sessionID: String?, _ includingUnassigned: Bool) -> (String, [BindValue]) {
        guard let sessionID else { return ("1", []) }
        return (includingUnassigned ? "(session_id = ?1 OR session_id IS NULL)" : "session_id = ?1", [.text(sessionID)])
    }

    /// Runs `PRAGMA integrity_check` (slower and more thorough than the quick check at open).
    /// - Returns: `["ok"]` or the problems found.
    public func integrityCheck() throws(RecordingError) -> [String] {
        try withConnection { db throws(SQLiteError) in try db.textColumn("PRAGMA integrity_check") }
    }
}
