/// A known protocol mistake found in one side's session, explaining a divergence.
public struct ProtocolHint: Sendable, Hashable {
    /// Which mistake. Open struct: the raw value is the `kind` string of the JSON report.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// RESUME after op 9 INVALID_SESSION with `d: false`.
        public static let resumeAfterInvalidSession = Kind(rawValue: "resume_after_invalid_session")
        /// A new connection after a close with 4004 or 4010–4014, which forbid reconnecting.
        public static let reconnectAfterFatalClose = Kind(rawValue: "reconnect_after_fatal_close")
        /// IDENTIFY less than 1 s after op 9 INVALID_SESSION.
        public static let identifyTooSoonAfterInvalidSession = Kind(rawValue: "identify_too_soon_after_invalid_session")
        /// Mean heartbeat interval off HELLO's `heartbeat_interval` by more than 10 %.
        public static let heartbeatCadence = Kind(rawValue: "heartbeat_cadence")
        /// More than 120 commands within 60 s on one connection.
        public static let rateLimit = Kind(rawValue: "rate_limit")
        /// The connection kept being used more than 5 s after op 7 RECONNECT.
        public static let ignoredReconnect = Kind(rawValue: "ignored_reconnect")
        /// The server closed with 4009: heartbeats were missed.
        public static let missedHeartbeats = Kind(rawValue: "missed_heartbeats")
    }

    /// Which side: `"a"` or `"b"`.
    public var side: String
    /// The mistake.
    public var kind: Kind
    /// One line for people.
    public var message: String
    /// When, relative to the side's origin.
    public var offsetNs: Int64?
    /// The connection concerned.
    public var connectionID: Int64?

    /// Creates a hint.
    public init(side: String, kind: Kind, message: String, offsetNs: Int64?, connectionID: Int64?) {
        self.side = side
        self.kind = kind
        self.message = message
        self.offsetNs = offsetNs
        self.connectionID = connectionID
    }
}
