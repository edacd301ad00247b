import GatewayModel
import NIOCore

/// What a replay sends, and when, relative to the recorded READY (segment 0) or to the recorded
/// reconnect (READY or RESUMED) that starts each later segment.
public struct ReplayTimeline: Sendable {
    /// One thing to do at a recorded time.
    public struct Event: Sendable, Equatable {
        /// Nanoseconds after the segment's anchor.
        public var offset: Int64
        public var kind: Kind

        public init(offset: Int64, kind: Kind) {
            self.offset = offset
            self.kind = kind
        }
    }

    public enum Kind: Sendable, Equatable {
        /// A dispatch: `data` is the JSON text of `d`, encoded once when the recording is loaded;
        /// `guildID` its `d.guild_id` (shard routing, intents), `nil` outside a guild.
        case dispatch(event: String, data: ByteBuffer, guildID: UInt64?)
        /// A recorded INTERACTION_CREATE (`d`), sent again under a fresh id and token.
        case interaction(data: JSONValue)
        /// A recorded control or fault action (`disconnect`, `stop_acks`, ...), with its arguments.
        case control(action: String, args: JSONValue)
    }

    /// Events between two reconnects of the live bot.
    public struct Segment: Sendable, Equatable {
        public var events: [Event]
        /// Recorded time from the anchor to the next anchor (or to the end of the session for the last).
        public var duration: Int64
        /// The shard whose first READY starts this segment (the live bot's next shard must identify);
        /// `nil` when a reconnect (RESUMED or READY again) starts it, and for the first segment.
        public var newShard: Int?

        public init(events: [Event], duration: Int64, newShard: Int? = nil) {
            self.events = events
            self.duration = duration
            self.newShard = newShard
        }
    }

    public var segments: [Segment]

    public init(segments: [Segment]) { self.segments = segments }

    /// How many events there are in all.
    public var eventCount: Int { segments.reduce(0) { $0 + $1.events.count } }
}
