/// How ``BehaviourComparison`` compares two sessions.
///
/// ```swift
/// var options = ComparisonOptions()
/// options.ignore = [try JSONPointer("/d/presence")]
/// options.includeClientCloses = false   // replay --verify stops before the bot closes
/// ```
public struct ComparisonOptions: Sendable {
    /// Fields left out of every step's normalised value before comparing (`--ignore`).
    public var ignore: [JSONPointer]
    /// Largest allowed difference of the heartbeat cadences, as a fraction of HELLO's
    /// `heartbeat_interval`: mean intervals and jitters (standard deviations) within this are
    /// equal. Default 0.10.
    public var cadenceTolerance: Double
    /// Whether closes the bot initiated are steps (default true). `replay --verify` may turn this
    /// off when its live run ends before the bot closes.
    public var includeClientCloses: Bool
    /// Whether REST calls are compared (default true; they are compared only when recorded).
    public var includeREST: Bool
    /// Bound on the edit distance the step alignment searches before it gives up matching a region
    /// (which is then reported as removed and added). Keeps the worst case bounded.
    public var maxEditCost: Int
    /// Whether snowflakes become `<id-N>` aliases numbered by first appearance (default true: two
    /// runs mint their own ids). `replay --verify` turns it off: a replay serves the recorded ids,
    /// so each id is its own alias, wherever in the live run it first appears.
    public var aliasesSnowflakes = true

    /// Creates options; every parameter has the default described on its property.
    public init(
        ignore: [JSONPointer] = [], cadenceTolerance: Double = 0.10, includeClientCloses: Bool = true,
        includeREST: Bool = true, maxEditCost: Int = 10_000
    ) {
        self.ignore = ignore
        self.cadenceTolerance = cadenceTolerance
        self.includeClientCloses = includeClientCloses
        self.includeREST = includeREST
        self.maxEditCost = maxEditCost
    }
}
