#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Wall-clock milliseconds since the Unix epoch: snowflakes, timestamps and the interaction deadlines
/// (3 s, 15 min) come from it. Tests inject a `ManualWorldClock` so deadlines need no real sleeps.
public protocol WorldClock: Sendable {
    func nowMilliseconds() -> UInt64
}

/// The system's real-time clock.
public struct SystemWorldClock: WorldClock {
    public init() {}
    public func nowMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000 &+ UInt64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told (tests).
public final class ManualWorldClock: WorldClock {
    private let now: Atomic<UInt64>
    public init(milliseconds: UInt64 = 1_767_225_600_000) { now = Atomic(milliseconds) }
    public func nowMilliseconds() -> UInt64 { now.load(ordering: .relaxed) }
    public func advance(milliseconds: UInt64) { now.add(milliseconds, ordering: .relaxed) }
}

/// Discord's snowflakes and ISO 8601 timestamps from a clock.
public enum Snowflake {
    /// 2015-01-01T00:00:00Z, Discord's epoch, in Unix milliseconds.
    public static let discordEpoch: UInt64 = 1_420_070_400_000

    /// The snowflake of an instant with an increment in its low bits.
    public static func make(milliseconds: UInt64, increment: UInt64) -> UInt64 {
        ((milliseconds &- discordEpoch) << 22) | (increment & 0xFFF)
    }

    /// The Unix milliseconds a snowflake was made at.
    public static func milliseconds(of id: UInt64) -> UInt64 { (id >> 22) &+ discordEpoch }

    /// `2026-12-03T09:32:17.123000+00:00`, as Discord writes timestamps.
    public static func iso8601(milliseconds: UInt64) -> String {
        var seconds = time_t(milliseconds / 1_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fraction = pad(Int32(milliseconds % 1_000), 3) + "000"
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(fraction)+00:00"
    }
}
