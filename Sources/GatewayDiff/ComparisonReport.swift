/// The result of ``BehaviourComparison/compare(_:_:options:)``: the verdict, the first divergence,
/// every difference, each side's timing summary and the protocol hints.
///
/// ## JSON format (`render(format: .json)`, `gatewaytape diff --format json`)
///
/// One object, keys sorted, times in milliseconds (3 decimals) from each side's origin (its first
/// frame, connection or REST call; the replay's READY for `replay --verify`):
///
/// ```text
/// {
///   "format": "gatewaytape-diff/1",
///   "equal": Bool,                      // the verdict (exit 0 / 1)
///   "a": Side, "b": Side,
///   "summary": {"equal_steps": Int, "added": Int, "removed": Int, "changed": Int, "cadence_differs": Bool},
///   "first_divergence": Difference | null,   // earliest difference; a cadence one only when no step differs
///   "differences": [Difference],        // alignment order: lanes (shard 0, 1, ..., rest), then cadence
///   "heartbeat_cadence": {"equal": Bool, "tolerance": Double, "message": String | null},
///   "hints": [Hint],
///   "ignored": [String]                 // the --ignore pointers
/// }
/// Side = {"label": String, "steps": Int, "timing": Timing}
/// Timing = {"hello_to_identify_ms": Double | null,
///           "heartbeat": {"count": Int, "intervals": Int, "mean_ms": Double | null, "jitter_ms": Double | null,
///                         "hello_interval_ms": Double | null},
///           "reconnect_delays_ms": [Double], "resume_delays_ms": [Double],
///           "commands_per_minute": Double | null, "max_commands_in_60s": Int}
/// Difference = {"kind": "added" | "removed" | "changed" | "cadence",
///               "lane": "shard N" | "rest" | null, "step": String,       // e.g. "IDENTIFY"
///               "index_a": Int | null, "index_b": Int | null,            // 0-based step positions
///               "t_a_ms": Double | null, "t_b_ms": Double | null,
///               "connection_a": Int | null, "connection_b": Int | null,
///               "frame_a": JSON | null, "frame_b": JSON | null,          // normalised values
///               "fields": [{"pointer": String, "a": JSON, "b": JSON, "in_a": Bool, "in_b": Bool}],
///               "message": String | null}                                 // cadence only
/// Hint = {"side": "a" | "b", "kind": String, "message": String, "t_ms": Double | null, "connection": Int | null}
/// ```
///
/// Hint kinds: `resume_after_invalid_session`, `reconnect_after_fatal_close`,
/// `identify_too_soon_after_invalid_session`, `heartbeat_cadence`, `rate_limit`,
/// `ignored_reconnect`, `missed_heartbeats`. A field absent on one side has `"in_a": false` (or
/// `"in_b"`) and `null` as its value.
public struct ComparisonReport: Sendable {
    /// One side's figures.
    public struct Side: Sendable {
        /// The side's label (`old.sqlite session 1`).
        public var label: String
        /// Its number of steps.
        public var steps: Int
        /// Its timing summary.
        public var timing: TimingSummary
        /// The control and fault actions on the side's session (a scenario's carry `args.scenario`).
        public var faults: [Fault]

        /// Creates a side.
        public init(label: String, steps: Int, timing: TimingSummary, faults: [Fault] = []) {
            self.label = label
            self.steps = steps
            self.timing = timing
            self.faults = faults
        }
    }

    /// A control or fault action as the report lists it.
    public struct Fault: Sendable, Equatable {
        /// Time from the side's origin.
        public var offsetNs: Int64
        /// `controls.action`, e.g. `disconnect`.
        public var action: String
        /// `controls.args` (JSON text).
        public var args: String?

        public init(offsetNs: Int64, action: String, args: String?) {
            self.offsetNs = offsetNs
            self.action = action
            self.args = args
        }
    }

    /// The reference side.
    public var a: Side
    /// The compared side.
    public var b: Side
    /// Steps aligned and equal.
    public var equalSteps: Int
    /// Every difference: steps in alignment order, then the cadence difference if any.
    public var differences: [StepDifference]
    /// Protocol mistakes found on either side.
    public var hints: [ProtocolHint]
    /// The `--ignore` pointers applied.
    public var ignored: [String]
    /// The cadence tolerance applied.
    public var cadenceTolerance: Double

    /// Creates a report.
    public init(
        a: Side, b: Side, equalSteps: Int, differences: [StepDifference], hints: [ProtocolHint], ignored: [String],
        cadenceTolerance: Double
    ) {
        self.a = a
        self.b = b
        self.equalSteps = equalSteps
        self.differences = differences
        self.hints = hints
        self.ignored = ignored
        self.cadenceTolerance = cadenceTolerance
    }

    /// Whether the two sessions behave the same after normalisation.
    public var isEqual: Bool { differences.isEmpty }

    /// The earliest step difference (by time offset), or the cadence difference when no step differs.
    public var firstDivergence: StepDifference? {
        let steps = differences.filter { $0.kind != .cadence }
        return steps.min { $0.earliestOffsetNs < $1.earliestOffsetNs } ?? differences.first
    }

    /// Number of differences of `kind`.
    public func count(_ kind: StepDifference.Kind) -> Int {
        differences.reduce(0) { $0 + ($1.kind == kind ? 1 : 0) }
    }

    /// The cadence difference's message, if the cadences differ.
    public var cadenceMismatch: String? { differences.first { $0.kind == .cadence }?.message }

    /// The report as text or JSON.
    /// - Parameter format: `.text(color:)` for people, `.json` for tools (schema above).
    public func render(format: ReportFormat) -> String {
        switch format {
        case .text(let color): renderText(color: color)
        case .json: renderJSON()
        }
    }
}
