/// A gateway opcode (`op` of a payload). Open struct, so unknown values round-trip.
public struct GatewayOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let dispatch = GatewayOpcode(rawValue: 0)
    public static let heartbeat = GatewayOpcode(rawValue: 1)
    public static let identify = GatewayOpcode(rawValue: 2)
    public static let presenceUpdate = GatewayOpcode(rawValue: 3)
    public static let voiceStateUpdate = GatewayOpcode(rawValue: 4)
    public static let resume = GatewayOpcode(rawValue: 6)
    public static let reconnect = GatewayOpcode(rawValue: 7)
    public static let requestGuildMembers = GatewayOpcode(rawValue: 8)
    public static let invalidSession = GatewayOpcode(rawValue: 9)
    public static let hello = GatewayOpcode(rawValue: 10)
    public static let heartbeatACK = GatewayOpcode(rawValue: 11)
    public static let requestSoundboardSounds = GatewayOpcode(rawValue: 31)
    public static let requestChannelInfo = GatewayOpcode(rawValue: 43)

    /// Opcodes a client may send; anything else closes the connection with 4001.
    public static let clientOpcodes: Set<GatewayOpcode> = [
        .heartbeat, .identify, .presenceUpdate, .voiceStateUpdate, .resume, .requestGuildMembers,
        .requestSoundboardSounds, .requestChannelInfo,
    ]

    public var name: String {
        switch self {
        case .dispatch: "DISPATCH"
        case .heartbeat: "HEARTBEAT"
        case .identify: "IDENTIFY"
        case .presenceUpdate: "PRESENCE_UPDATE"
        case .voiceStateUpdate: "VOICE_STATE_UPDATE"
        case .resume: "RESUME"
        case .reconnect: "RECONNECT"
        case .requestGuildMembers: "REQUEST_GUILD_MEMBERS"
        case .invalidSession: "INVALID_SESSION"
        case .hello: "HELLO"
        case .heartbeatACK: "HEARTBEAT_ACK"
        case .requestSoundboardSounds: "REQUEST_SOUNDBOARD_SOUNDS"
        case .requestChannelInfo: "REQUEST_CHANNEL_INFO"
        default: "OP_\(rawValue)"
        }
    }

    public var description: String { "\(rawValue) \(name)" }
}
