/// The recording file format (SPEC §7): its version, its tables and the migrations that create them.
///
/// `PRAGMA user_version` is the format version. Each migration brings a file from the previous
/// version to its own; a writer runs the ones above the file's version, in order. Version 0 is a
/// file made by another program with only SPEC §7's tables, which reads as version 1 (the version 1
/// migration uses `IF NOT EXISTS`, so it also upgrades such a file in place).
public enum RecordingSchema {
    /// The format version this build writes and the newest it reads.
    public static let currentVersion = 1

    /// `meta.format` of the files this build writes (informative; `user_version` is authoritative).
    public static let formatName = "gatewaytape-recording/\(currentVersion)"

    /// One step of the schema history.
    struct Migration {
        /// The `user_version` the file has after this migration.
        var version: Int
        var sql: String
    }

    /// Every migration, oldest first. Never edit a released one; append a new version instead.
    ///
    /// `frames` has no secondary index on purpose: each index slows the writer, and readers scan
    /// frames in `id` order anyway (a session's frames are most of the file).
    static let migrations: [Migration] = [
        Migration(
            version: 1,
            sql: """
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS sessions(id TEXT PRIMARY KEY, name TEXT, token_sha256 TEXT, created_ns INTEGER);
                CREATE TABLE IF NOT EXISTS connections(id INTEGER PRIMARY KEY, session_id TEXT, gateway_session_id TEXT,
                    shard_id INTEGER, shard_count INTEGER, opened_ns INTEGER, closed_ns INTEGER, close_code INTEGER,
                    close_reason TEXT, closed_by TEXT, query TEXT);
                CREATE TABLE IF NOT EXISTS frames(id INTEGER PRIMARY KEY, connection_id INTEGER, session_id TEXT,
                    t_ns INTEGER, direction TEXT, op INTEGER, seq INTEGER, event TEXT, payload TEXT, wire_bytes INTEGER);
                CREATE TABLE IF NOT EXISTS controls(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER,
                    action TEXT, args TEXT);
                CREATE TABLE IF NOT EXISTS http(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER, method TEXT,
                    path TEXT, status INTEGER, request TEXT, response TEXT);
                CREATE INDEX IF NOT EXISTS connections_by_session ON connections(session_id);
                """
        )
    ]

    /// Brings the open database up to `currentVersion`, one migration per transaction.
    /// - Throws: `SQLiteError`; the caller maps it.
    static func migrate(_ db: SQLiteConnection) throws(SQLiteError) {
        let version = try db.scalarInt("PRAGMA user_version") ?? 0
        for migration in migrations where migration.version > version {
            try db.execute("BEGIN IMMEDIATE")
            do {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Tables a reader needs; a file without one of them is not a recording.
    static let requiredTables = ["sessions", "connections", "frames"]
    /// Tables a reader treats as empty when a file written by another program lacks them.
    static let optionalTables = ["meta", "controls", "http"]

    /// The columns SPEC §7 guarantees, per table.
    static let columns: [String: [String]] = [
        "meta": ["key", "value"],
        "sessions": ["id", "name", "token_sha256", "created_ns"],
        "connections": [
            "id", "session_id", "gateway_session_id", "shard_id", "shard_count", "opened_ns", "closed_ns",
            "close_code", "close_reason", "closed_by", "query",
        ],
        "frames": ["id", "connection_id", "session_id", "t_ns", "direction", "op", "seq", "event", "payload", "wire_bytes"],
        "controls": ["id", "session_id", "t_ns", "action", "args"],
        "http": ["id", "session_id", "t_ns", "method", "path", "status", "request", "response"],
    ]
}
