/// The recording file format (SPEC §7): its version and its tables.
///
/// Each table is described once (``RecordingTable``, next to its row type: ``StoredFrame/table`` and
/// so on); the schema, the reader's queries, the importer's inserts and the lines of `export` and
/// `inspect` are derived from those descriptions, so a new column is one edit there.
///
/// `PRAGMA user_version` is the format version. Columns added after version 1 (``RecordingTable/Column/isAddition``)
/// keep the version: older and third-party files may lack them and read them as NULL. Version 0 is a
/// file made by another program with only SPEC §7's tables, which reads as version 1.
public enum RecordingSchema {
    /// The format version this build writes and the newest it reads.
    public static let currentVersion = 1

    /// `meta.format` of the files this build writes (informative; `user_version` is authoritative).
    public static let formatName = "gatewaytape-recording/\(currentVersion)"

    /// `meta(key, value)`: what wrote the file (its rows travel in an export's header line).
    static let meta = RecordingTable("meta", lineKind: "meta", [.init("key", .text), .init("value", .text)])

    /// Every table, in SPEC §7 order.
    ///
    /// `frames` has no secondary index on purpose: each index slows the writer, and readers scan
    /// frames in `id` order anyway (a session's frames are most of the file).
    static let tables = [
        meta, StoredSession.table, StoredConnection.table, StoredFrame.table, StoredControl.table, StoredHTTPCall.table,
    ]

    /// Tables a reader needs; a file without one of them is not a recording.
    static let requiredTables = [StoredSession.table.name, StoredConnection.table.name, StoredFrame.table.name]

    /// Brings the open database to the current format in one transaction: creates the missing tables,
    /// adds the missing columns, sets `user_version`.
    /// - Throws: `SQLiteError`; the caller maps it.
    static func migrate(_ db: SQLiteConnection) throws(SQLiteError) {
        try db.execute("BEGIN IMMEDIATE")
        do throws(SQLiteError) {
            for table in tables {
                try db.execute(table.createSQL)
                let present = try db.columns(of: table.name)
                for column in table.columns where !present.contains(column.name) {
                    try db.execute("ALTER TABLE \(table.name) ADD COLUMN \(column.name) \(column.sqlType)")
                }
            }
            try db.execute("CREATE INDEX IF NOT EXISTS connections_by_session ON connections(session_id)")
            try db.execute("PRAGMA user_version = \(currentVersion)")
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
