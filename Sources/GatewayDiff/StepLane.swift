/// Which stream of a session a step belongs to: one lane per shard (each shard's connections in
/// order, reconnects included), and one for the REST calls.
///
/// Steps are aligned lane by lane, so the racy interleaving of two shards' frames is not a
/// difference; within a lane the order is wire order.
public enum StepLane: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The frames and client closes of shard `n` (0 for an unsharded bot).
    case shard(Int)
    /// The bot's REST calls.
    case rest

    public var description: String {
        switch self {
        case .shard(let id): "shard \(id)"
        case .rest: "rest"
        }
    }
}
