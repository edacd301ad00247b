extension Recorder {
    /// Tuning knobs of the writer. The defaults keep the crash window (events recorded but not yet
    /// committed) near 50 ms at the writer's full rate while costing little throughput.
    ///
    /// Backpressure: once more than `highWaterEvents` events (or `highWaterBytes` of payload) are
    /// recorded but not yet committed, ``Recorder/waitUntilWritable()`` suspends its callers until the
    /// backlog is back under `lowWaterEvents` and `lowWaterBytes`. `record(_:)` itself never waits and
    /// never drops, so producers that cannot wait (inbound frames) still get everything written.
    public struct Options: Sendable, Equatable {
        /// Backlog (events) above which `waitUntilWritable()` suspends. Default 4,096 (25 to 40 ms of
        /// writing), which with 2,048-row transactions keeps frames older than 100 ms committed at
        /// full rate.
        public var highWaterEvents: Int
        /// Backlog (events) under which suspended producers resume. Default 2,048.
        public var lowWaterEvents: Int
        /// Backlog (payload bytes) above which `waitUntilWritable()` suspends. Default 32 MiB.
        public var highWaterBytes: Int
        /// Backlog (payload bytes) under which suspended producers resume. Default 16 MiB.
        public var lowWaterBytes: Int
        /// Most rows in one transaction. Default 2,048.
        public var maxTransactionRows: Int
        /// Longest time a transaction stays open under load, in nanoseconds. Default 50 ms.
        public var maxCommitDelayNanoseconds: UInt64
        /// How long the writer waits for more events when its queue runs empty before it commits, in
        /// nanoseconds (counted from the transaction's first row). Default 5 ms: a lone event is
        /// committed within 5 ms, and moderate rates need at most 200 commits a second.
        public var commitLingerNanoseconds: UInt64
        /// SQLite page size of a new recording. Default 64 KiB, SQLite's largest: ~1 KB frames fill
        /// pages with little waste, the frames table's B-tree is shallow, and each WAL write carries
        /// about 50 rows (`recorder-bench` on a 2-core machine: 206,000–238,000 frames/s with 16 KiB
        /// pages, 251,000–273,000 with 64 KiB). A file holds at least one page per table and index.
        public var pageSize: Int
        /// Committed bytes after which the background checkpointer is woken at once (otherwise it runs
        /// every 250 ms while there are commits). Default 16 MiB.
        public var checkpointAfterBytes: Int
        /// WAL size above which the writer itself runs a blocking checkpoint and restarts the WAL, so a
        /// disk slower than the frame rate slows recording down (backpressure) instead of growing the
        /// WAL without bound. Default 512 MiB.
        public var walSizeLimitBytes: Int

        /// Creates options; every parameter has a default.
        public init(
            highWaterEvents: Int = 4096,
            lowWaterEvents: Int = 2048,
            highWaterBytes: Int = 32 << 20,
            lowWaterBytes: Int = 16 << 20,
            maxTransactionRows: Int = 2048,
            maxCommitDelayNanoseconds: UInt64 = 50_000_000,
            commitLingerNanoseconds: UInt64 = 5_000_000,
            pageSize: Int = 65536,
            checkpointAfterBytes: Int = 16 << 20,
            walSizeLimitBytes: Int = 512 << 20
        ) {
            self.highWaterEvents = max(1, highWaterEvents)
            self.lowWaterEvents = min(max(0, lowWaterEvents), self.highWaterEvents)
            self.highWaterBytes = max(1, highWaterBytes)
            self.lowWaterBytes = min(max(0, lowWaterBytes), self.highWaterBytes)
            self.maxTransactionRows = max(1, maxTransactionRows)
            self.maxCommitDelayNanoseconds = maxCommitDelayNanoseconds
            self.commitLingerNanoseconds = min(commitLingerNanoseconds, maxCommitDelayNanoseconds)
            // A power of two between 512 and 65536, as SQLite requires.
            var size = 512
            while size < min(max(pageSize, 512), 65536) { size <<= 1 }
            self.pageSize = size
            self.checkpointAfterBytes = max(1, checkpointAfterBytes)
            self.walSizeLimitBytes = max(1 << 20, walSizeLimitBytes)
        }
    }

    /// Counters for tests, benchmarks and logs.
    public struct Statistics: Sendable, Equatable {
        /// Events accepted by `record(_:)`.
        public var recorded: UInt64
        /// Events the writer has committed (or, after a write failure, given up on).
        public var written: UInt64
        /// Events accepted but not yet committed.
        public var pending: Int
        /// Payload bytes accepted but not yet committed.
        public var pendingBytes: Int
        /// Events that arrived after `finish()` had drained the queue (not written).
        public var late: UInt64
        /// Times `waitUntilWritable()` had to suspend a caller.
        public var throttled: UInt64
    }
}
