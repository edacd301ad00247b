/// A WebSocket close code as the gateway uses it. Open struct, so unknown codes round-trip.
public struct GatewayCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = GatewayCloseCode(rawValue: 1000)
    public static let goingAway = GatewayCloseCode(rawValue: 1001)
    public static let abnormal = GatewayCloseCode(rawValue: 1006)
    public static let unknownError = GatewayCloseCode(rawValue: 4000)
    public static let unknownOpcode = GatewayCloseCode(rawValue: 4001)
    public static let decodeError = GatewayCloseCode(rawValue: 4002)
    public static let notAuthenticated = GatewayCloseCode(rawValue: 4003)
    public static let authenticationFailed = GatewayCloseCode(rawValue: 4004)
    public static let alreadyAuthenticated = GatewayCloseCode(rawValue: 4005)
    public static let invalidSeq = GatewayCloseCode(rawValue: 4007)
    public static let rateLimited = GatewayCloseCode(rawValue: 4008)
    public static let sessionTimedOut = GatewayCloseCode(rawValue: 4009)
    public static let invalidShard = GatewayCloseCode(rawValue: 4010)
    public static let shardingRequired = GatewayCloseCode(rawValue: 4011)
    public static let invalidAPIVersion = GatewayCloseCode(rawValue: 4012)
    public static let invalidIntents = GatewayCloseCode(rawValue: 4013)
    public static let disallowedIntents = GatewayCloseCode(rawValue: 4014)

    /// Discord's documented reason text for the code.
    public var reason: String {
        switch self {
        case .normal: "Normal closure"
        case .goingAway: "Going away"
        case .unknownError: "Unknown error."
        case .unknownOpcode: "Unknown opcode."
        case .decodeError: "Decode error."
        case .notAuthenticated: "Not authenticated."
        case .authenticationFailed: "Authentication failed."
        case .alreadyAuthenticated: "Already authenticated."
        case .invalidSeq: "Invalid seq."
        case .rateLimited: "Rate limited."
        case .sessionTimedOut: "Session timed out."
        case .invalidShard: "Invalid shard."
        case .shardingRequired: "Sharding required."
        case .invalidAPIVersion: "Invalid API version."
        case .invalidIntents: "Invalid intent(s)."
        case .disallowedIntents: "Disallowed intent(s)."
        default: ""
        }
    }

    /// Whether a client may reconnect after this code (Discord's "Reconnect" column).
    /// 4004 and 4010–4014 are fatal.
    public var allowsReconnect: Bool {
        switch self {
        case .authenticationFailed, .invalidShard, .shardingRequired, .invalidAPIVersion, .invalidIntents,
            .disallowedIntents:
            false
        default: true
        }
    }

    /// Whether the gateway session survives a close with this code sent by the *client*:
    /// 1000 and 1001 end it, anything else keeps it resumable.
    public var clientCloseKeepsSession: Bool { self != .normal && self != .goingAway }

    /// Whether a RESUME is refused after the *server* closed with this code (4007, 4009 and the fatal ones).
    public var serverCloseEndsSession: Bool {
        self == .invalidSeq || self == .sessionTimedOut || !allowsReconnect
    }

    public var description: String { reason.isEmpty ? "\(rawValue)" : "\(rawValue) (\(reason))" }
}
