/// One entry of a comparison's list of differences.
public struct StepDifference: Sendable, Hashable {
    /// What kind of difference.
    public enum Kind: String, Sendable, Hashable {
        /// A step only B has.
        case added
        /// A step only A has.
        case removed
        /// Aligned steps (same lane and shape, e.g. both IDENTIFY) whose values differ.
        case changed
        /// The heartbeat cadences differ (no step; see `message`).
        case cadence
    }

    /// The kind.
    public var kind: Kind
    /// The step in A (`removed`, `changed`).
    public var a: BehaviourStep?
    /// The step in B (`added`, `changed`).
    public var b: BehaviourStep?
    /// The differing fields of a `changed` step (empty otherwise).
    public var fields: [FieldDifference]
    /// For `cadence`: what differs.
    public var message: String?

    /// Creates a difference.
    public init(kind: Kind, a: BehaviourStep?, b: BehaviourStep?, fields: [FieldDifference] = [], message: String? = nil) {
        self.kind = kind
        self.a = a
        self.b = b
        self.fields = fields
        self.message = message
    }

    /// The step's lane (`nil` for a cadence difference).
    public var lane: StepLane? { a?.lane ?? b?.lane }

    /// The step's label (`IDENTIFY`, `POST /channels/{id}/messages`), or `heartbeat cadence`.
    public var label: String { a?.label ?? b?.label ?? "heartbeat cadence" }

    /// The earliest time offset the difference shows (A's or B's), for ordering.
    var earliestOffsetNs: Int64 {
        min(a?.offsetNs ?? .max, b?.offsetNs ?? .max)
    }
}
