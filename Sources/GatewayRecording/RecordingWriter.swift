import CSQLite
import Dispatch
import GatewayModel

/// The writer side of a `Recorder`: owns the SQLite connection and its prepared statements and runs
/// the write loop on the recorder's own thread.
///
/// Created on the caller's thread (so that opening errors are thrown from `Recorder.init`), then
/// used only by the writer thread: hence `@unchecked Sendable`.
final class RecordingWriter: @unchecked Sendable {
    private let db: SQLiteConnection
    private let checkpointer: Checkpointer
    private let path: String
    private let startTime: UInt64
    private let options: Recorder.Options

    private let frames: GroupedInsert<FrameRecord>
    private let controls: GroupedInsert<ControlRecord>
    private let upsertSession: SQLiteStatement
    private let upsertOpened: SQLiteStatement
    private let upsertIdentified: SQLiteStatement
    private let upsertClosed: SQLiteStatement
    private let insertHTTP: SQLiteStatement
    private let begin: SQLiteStatement
    private let commit: SQLiteStatement

    /// Opens an existing, empty (or new-format) file, configures WAL, migrates the schema, writes the
    /// `meta` rows and prepares the statements.
    init(
        path: String, startTime: UInt64, options: Recorder.Options, meta: [(String, String)],
        onCheckpointError: @escaping @Sendable (SQLiteError) -> Void
    ) throws(SQLiteError) {
        self.path = path
        self.startTime = startTime
        self.options = options
        let db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        self.db = db
        // The page size of a new database is set before anything is written (WAL mode fixes it).
        try db.execute("PRAGMA page_size = \(options.pageSize)")
        let journalMode = try db.textColumn("PRAGMA journal_mode = WAL").first ?? ""
        guard journalMode.lowercased() == "wal" else {
            throw SQLiteError(code: SQLITE_ERROR, message: "cannot switch to WAL mode (journal_mode is \(journalMode))")
        }
        try db.execute(
            """
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 5000;
            PRAGMA wal_autocheckpoint = 0;
            PRAGMA journal_size_limit = \(64 << 20);
            PRAGMA cache_size = -16384;
            """)
        try RecordingSchema.migrate(db)
        let metaStatement = try db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
        for (key, value) in meta {
            metaStatement.bind(key, at: 1)
            metaStatement.bind(value, at: 2)
            try metaStatement.run()
        }
        metaStatement.finalize()

        // Frames and controls are bound from the live records (no copy into a stored row), in the
        // table's column order after `id` (the file numbers them); `GroupedInsert` checks the count.
        frames = try GroupedInsert(db, table: StoredFrame.table, skipping: "id") { frame, row in
            row.int(frame.connectionID)
            row.text(frame.sessionID)
            row.int(Self.offset(frame.t, from: startTime))
            row.text(frame.direction == .inbound ? Self.inbound : Self.outbound)
            row.int(frame.op)
            row.int(frame.seq)
            row.text(frame.event)
            row.text(buffer: frame.payload)
            row.int(frame.wireBytes)
            row.int(frame.causeHTTPID)
        }
        let dispatchArguments = DispatchArgumentsText()
        controls = try GroupedInsert(db, table: StoredControl.table, skipping: "id") { control, row in
            row.text(control.sessionID)
            row.int(Self.offset(control.t, from: startTime))
            row.text(control.action)
            row.text(dispatchArguments.text(of: control))
        }
        upsertSession = try db.prepare(
            """
            INSERT INTO sessions(id, name, token_sha256, created_ns) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, token_sha256 = excluded.token_sha256
            """, persistent: true)
        upsertOpened = try db.prepare(
            """
            INSERT INTO connections(id, opened_ns, query) VALUES (?1, ?2, ?3)
            ON CONFLICT(id) DO UPDATE SET opened_ns = excluded.opened_ns, query = excluded.query
            """, persistent: true)
        upsertIdentified = try db.prepare(
            """
            INSERT INTO connections(id, session_id, gateway_session_id, shard_id, shard_count) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(id) DO UPDATE SET session_id = excluded.session_id,
                gateway_session_id = excluded.gateway_session_id, shard_id = excluded.shard_id,
                shard_count = excluded.shard_count
            """, persistent: true)
        upsertClosed = try db.prepare(
            """
            INSERT INTO connections(id, closed_ns, close_code, close_reason, closed_by) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(id) DO UPDATE SET closed_ns = excluded.closed_ns, close_code = excluded.close_code,
                close_reason = excluded.close_reason, closed_by = excluded.closed_by
            """, persistent: true)
        insertHTTP = try db.prepare(StoredHTTPCall.table.insertSQL(), persistent: true)
        begin = try db.prepare("BEGIN", persistent: true)
        commit = try db.prepare("COMMIT", persistent: true)
        // Checkpoints run on a second connection and thread (the writer's autocheckpoint is off).
        checkpointer = try Checkpointer(path: path, onError: onCheckpointError)
    }

    private static let inbound: StaticString = "in"
    private static let outbound: StaticString = "out"

    /// Nanoseconds since the recording started (negative for an event stamped before it).
    @inline(__always)
    private static func offset(_ t: UInt64, from startTime: UInt64) -> Int64 {
        Int64(bitPattern: t &- startTime)
    }

    // MARK: The loop

    /// Runs until the queue is closed and drained, then checkpoints and closes the database.
    func run(queue: RecorderQueue) {
        checkpointer.start()
        var batch: [RecordEvent] = []
        batch.reserveCapacity(options.maxTransactionRows)
        var inTransaction = false
        var transactionRows = 0
        var transactionBytes = 0
        var transactionStart: UInt64 = 0
        var bytesSinceCheckpointSignal = 0
        var bytesSinceWALCheck = 0
        let maxRows = options.maxTransactionRows
        let maxDelay = options.maxCommitDelayNanoseconds
        let linger = options.commitLingerNanoseconds

        func finishTransaction() {
            if inTransaction {
                do throws(SQLiteError) {
                    try frames.flush()
                    try controls.flush()
                } catch {
                    queue.noteFailure(.writing(path, error))
                }
                do throws(SQLiteError) {
                    try commit.run()
                } catch {
                    queue.noteFailure(.writing(path, error))
                    try? db.execute("ROLLBACK")
                }
                inTransaction = false
                bytesSinceCheckpointSignal += transactionBytes
                bytesSinceWALCheck += transactionBytes
                let urgent = bytesSinceCheckpointSignal >= options.checkpointAfterBytes
                if urgent { bytesSinceCheckpointSignal = 0 }
                checkpointer.noteCommit(urgent: urgent)
            }
            if transactionRows > 0 {
                queue.didWrite(events: transactionRows, bytes: transactionBytes)
            }
            transactionRows = 0
            transactionBytes = 0
            if bytesSinceWALCheck >= options.checkpointAfterBytes {
                bytesSinceWALCheck = 0
                limitWAL(queue: queue)
            }
        }

        loop: while true {
            switch queue.take(into: &batch) {
            case .batch:
                for event in batch {
                    if !inTransaction {
                        do throws(SQLiteError) {
                            try begin.run()
                            inTransaction = true
                        } catch {
                            queue.noteFailure(.writing(path, error))
                        }
                        transactionStart = MonotonicClock.now()
                    }
                    do throws(SQLiteError) {
                        try insert(event)
                    } catch {
                        queue.noteFailure(.writing(path, error))
                    }
                    transactionRows += 1
                    transactionBytes += RecorderQueue.weight(of: event)
                    if transactionRows >= maxRows
                        || (transactionRows & 63 == 0 && MonotonicClock.now() &- transactionStart >= maxDelay)
                    {
                        finishTransaction()
                    }
                }
                batch.removeAll(keepingCapacity: true)
            case .sleep:
                guard transactionRows > 0 else {
                    queue.sleep()
                    continue loop
                }
                // Linger briefly for more events, so that moderate rates share commits.
                let age = MonotonicClock.now() &- transactionStart
                if age >= linger {
                    queue.clearIdle()
                    finishTransaction()
                } else {
                    queue.sleep(until: DispatchTime(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds + (linger - age)))
                }
            case .finish:
                break loop
            }
        }
        finishTransaction()
        close(queue: queue)
    }

    /// Restarts the WAL with a blocking checkpoint when it has grown past the limit (the disk is
    /// slower than the frame rate): recording slows down rather than growing the WAL without bound.
    private func limitWAL(queue: RecorderQueue) {
        guard let size = FileSystem.size(path + "-wal"), size > options.walSizeLimitBytes else { return }
        let rc = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_RESTART, nil, nil)
        if rc != SQLITE_OK && rc != SQLITE_BUSY { queue.noteFailure(.writing(path, db.error(rc))) }
    }

    private func close(queue: RecorderQueue) {
        checkpointer.stop()
        frames.finalize()
        controls.finalize()
        for statement in [upsertSession, upsertOpened, upsertIdentified, upsertClosed, insertHTTP, begin, commit] {
            statement.finalize()
        }
        do throws(SQLiteError) {
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch {
            queue.noteFailure(.writing(path, error))
        }
        // A finished recording is in rollback-journal mode (SPEC §7). A reader still open keeps it in
        // WAL mode, which is as valid, only not openable in a read-only folder: not a failure.
        try? db.execute("PRAGMA busy_timeout = 250")
        try? db.leaveWAL()
        db.close()
        queue.didClose()
    }

    // MARK: Inserts

    @inline(__always)
    private func insert(_ event: RecordEvent) throws(SQLiteError) {
        switch event {
        case .frame(let frame):
            try frames.append(frame)
        case .session(let session):
            let statement = upsertSession
            statement.bind(session.id, at: 1)
            statement.bind(session.name, at: 2)
            statement.bind(session.tokenSHA256, at: 3)
            statement.bind(Self.offset(session.t, from: startTime), at: 4)
            try statement.run()
        case .connectionOpened(let opened):
            let statement = upsertOpened
            statement.bind(opened.connectionID, at: 1)
            statement.bind(Self.offset(opened.t, from: startTime), at: 2)
            statement.bind(opened.query, at: 3)
            try statement.run()
        case .connectionIdentified(let identified):
            let statement = upsertIdentified
            statement.bind(identified.connectionID, at: 1)
            statement.bind(identified.sessionID, at: 2)
            statement.bind(identified.gatewaySessionID, at: 3)
            statement.bind(identified.shardID, at: 4)
            statement.bind(identified.shardCount, at: 5)
            try statement.run()
        case .connectionClosed(let closed):
            let statement = upsertClosed
            statement.bind(closed.connectionID, at: 1)
            statement.bind(Self.offset(closed.t, from: startTime), at: 2)
            statement.bind(closed.code, at: 3)
            statement.bind(closed.reason, at: 4)
            statement.bind(closed.closedBy.rawValue, at: 5)
            try statement.run()
        case .control(let control):
            try controls.append(control)
        case .http(let http):
            // REST calls are rare next to frames: bound through their stored row, with a NULL id
            // (the file numbers the call) when the server gave none.
            var row = StatementRowSink(insertHTTP)
            StoredHTTPCall(http, id: 0, tNs: Self.offset(http.t, from: startTime)).write(to: &row)
            if http.id == nil { insertHTTP.bindNull(at: 1) }
            try insertHTTP.run()
        }
    }
}

/// `controls.args` text, reused while consecutive `dispatch` controls name the same event and guild
/// (the usual case when many events are dispatched in a row).
private final class DispatchArgumentsText {
    private var last: (event: String, guildID: UInt64?, text: String)?

    func text(of control: ControlRecord) -> String {
        guard case .dispatch(let event, let guildID) = control.arguments else { return control.args }
        if let last, last.event == event, last.guildID == guildID { return last.text }
        let text = control.args
        last = (event, guildID, text)
        return text
    }
}
