import CSQLite
import Foundation
import GatewayModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Records everything a server or proxy reports into a SQLite recording (SPEC §7).
///
/// `record(_:)` appends to an in-memory queue and returns at once; a dedicated writer thread drains
/// the queue in batched transactions with reused prepared statements, and a second thread
/// checkpoints the WAL into the main file in the background. An event is committed at most 50 ms
/// after it was recorded while the writer keeps up: the writer commits 5 ms after its queue runs
/// empty, and at least every 50 ms or 2,048 rows under load. Nothing is ever dropped: when the
/// disk falls behind, ``waitUntilWritable()`` suspends producers that can wait. The file is in WAL
/// mode with `synchronous = NORMAL`, so a crash of the process loses at most the uncommitted tail
/// (a few tens of milliseconds), never the file.
///
/// ```swift
/// let recorder = try Recorder(path: "run.sqlite", mode: .serve)
/// recorder.record(.frame(FrameRecord(connectionID: 1, sessionID: "s1", t: MonotonicClock.now(),
///                                    direction: .outbound, op: 10, seq: nil, event: nil,
///                                    payload: Array(#"{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}"#.utf8),
///                                    wireBytes: 60)))
/// try await recorder.finish()   // on SIGINT/SIGTERM: flush, checkpoint, close
/// ```
///
/// `t_ns` in the file is the event's `t` minus ``startTime``. Events are written in the order
/// `record(_:)` was called, so `frames.id` order is the order frames were recorded.
public final class Recorder: RecordingSink, Sendable {
    /// The recording file.
    public let path: String
    /// `MonotonicClock` nanoseconds that `t_ns = 0` stands for.
    public let startTime: UInt64
    /// The writer's tuning.
    public let options: Options

    private let queue: RecorderQueue

    /// Creates the recording file and starts the writer thread.
    ///
    /// - Parameters:
    ///   - path: the file to create.
    ///   - mode: the command that records (`meta.mode`).
    ///   - source: the recording replayed or the upstream URL (`meta.source`); `nil` writes `""`.
    ///   - overwrite: replace an existing file (and its `-wal`/`-shm` companions); otherwise an
    ///     existing file is refused.
    ///   - startTime: the `MonotonicClock` instant that `t_ns = 0` stands for; default now.
    ///   - toolVersion: `meta.tool_version`.
    ///   - options: writer tuning (backpressure marks, transaction size).
    /// - Throws: ``RecordingError`` `.fileExists` (no `overwrite`), `.ioFailure` (cannot create or
    ///   initialise the file; a file this call created is removed again).
    public init(
        path: String,
        mode: RecordingMode,
        source: String? = nil,
        overwrite: Bool = false,
        startTime: UInt64 = MonotonicClock.now(),
        toolVersion: String = Recorder.toolVersion,
        options: Options = Options()
    ) throws(RecordingError) {
        self.path = path
        self.startTime = startTime
        self.options = options
        try FileSystem.createExclusively(path, overwrite: overwrite)
        let meta: [(String, String)] = [
            ("format", RecordingSchema.formatName),
            ("tool_version", toolVersion),
            ("created_at", FileSystem.iso8601Now()),
            ("mode", mode.rawValue),
            ("source", source ?? ""),
        ]
        let queue = RecorderQueue(options: options)
        self.queue = queue
        let writer: RecordingWriter
        do {
            writer = try RecordingWriter(
                path: path, startTime: startTime, options: options, meta: meta,
                onCheckpointError: { [path] error in queue.noteFailure(.writing(path, error)) })
        } catch {
            FileSystem.removeDatabase(path)
            throw RecordingError.io(path, "create recording", error.message)
        }
        let thread = Thread {
            FileSystem.nameCurrentThread("gatewaytape-recorder")
            writer.run(queue: queue)
        }
        thread.start()
    }

    /// The version written into `meta.tool_version` unless the caller gives one.
    public static let toolVersion = "0.1.0"

    deinit {
        // The writer thread keeps the queue and connection alive until it has drained and closed.
        queue.requestClose()
    }

    /// Queues one event for the writer. Never blocks and never drops an event, except events that
    /// arrive after ``finish()`` has drained the queue (counted in ``Statistics/late``).
    public func record(_ event: RecordEvent) {
        queue.append(CollectionOfOne(event))
    }

    /// Queues events in order under one lock; see ``record(_:)``.
    public func record(contentsOf events: [RecordEvent]) {
        queue.append(events)
    }

    /// Suspends while the writer is behind: once the backlog (recorded, not yet committed) is over
    /// ``Options/highWaterEvents`` or ``Options/highWaterBytes``, until it is back under the low-water marks.
    /// Returns at once otherwise, and always after the recorder is closed.
    public func waitUntilWritable() async {
        await queue.waitUntilWritable()
    }

    /// Whether `waitUntilWritable()` would suspend now (the backlog is over its high-water mark).
    public var isBehind: Bool { queue.isThrottled }

    /// Suspends until every event recorded before this call is committed to the file.
    public func flush() async {
        await queue.flush()
    }

    /// Writes everything still queued, checkpoints the WAL into the main file and closes it.
    ///
    /// Idempotent: later calls wait for the same close and report the same result. Events recorded
    /// while `finish()` drains are still written; after that they are counted as late and ignored.
    /// - Throws: ``RecordingError`` (`.ioFailure`) when any write failed while recording (for example
    ///   a full disk); the file holds what could be written.
    public func finish() async throws(RecordingError) {
        if let failure = await queue.close() { throw failure }
    }

    /// The first write failure so far, if any (the writer keeps going after one).
    public var writeFailure: RecordingError? { queue.failure }

    /// Counters: recorded, written, pending, late events.
    public var statistics: Statistics { queue.statistics }
}
