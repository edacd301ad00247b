import CSQLite
import Dispatch
import Foundation
import Synchronization

/// Copies committed WAL frames into the main database file on its own thread and connection, so
/// that the writer never waits for the `fsync`s a checkpoint needs.
///
/// The writer tells it after each commit (`noteCommit`); it runs a PASSIVE checkpoint at least
/// every 250 ms while there are new commits, and at once when the writer says much has piled up.
/// A PASSIVE checkpoint never blocks the writer or readers.
final class Checkpointer: @unchecked Sendable {
    private let db: SQLiteConnection
    private let wakeup = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let state = Mutex(State())
    private let onError: @Sendable (SQLiteError) -> Void

    private struct State {
        var dirty = false
        var stop = false
        var started = false
    }

    /// Opens a second connection to the recording.
    init(path: String, onError: @escaping @Sendable (SQLiteError) -> Void) throws(SQLiteError) {
        db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE)
        try db.execute("PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;")
        // Checkpointing is a no-op until the connection has read the database and so opened its WAL.
        _ = try db.scalarInt("SELECT count(*) FROM sqlite_master")
        self.onError = onError
    }

    /// Starts the thread.
    func start() {
        state.withLock { $0.started = true }
        let thread = Thread {
            FileSystem.nameCurrentThread("gatewaytape-checkpoint")
            self.run()
        }
        thread.start()
    }

    /// The writer committed; `urgent` asks for a checkpoint now rather than within 250 ms.
    func noteCommit(urgent: Bool) {
        state.withLock { $0.dirty = true }
        if urgent { wakeup.signal() }
    }

    /// Stops the thread and waits for it (the writer then runs the final checkpoint itself).
    func stop() {
        let started = state.withLock { state -> Bool in
            state.stop = true
            return state.started
        }
        guard started else {
            db.close()
            return
        }
        wakeup.signal()
        stopped.wait()
    }

    private func run() {
        while true {
            _ = wakeup.wait(timeout: .now() + .milliseconds(250))
            let (dirty, stop) = state.withLock { state -> (Bool, Bool) in
                defer { state.dirty = false }
                return (state.dirty, state.stop)
            }
            if stop { break }
            if dirty {
                let rc = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                if rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED { onError(db.error(rc)) }
            }
        }
        db.close()
        stopped.signal()
    }
}
