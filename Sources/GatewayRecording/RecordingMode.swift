/// Which command made a recording (`meta.mode`, SPEC §7).
public enum RecordingMode: String, Sendable, CaseIterable {
    /// `gatewaytape serve --record`: the mock gateway's own traffic.
    case serve
    /// `gatewaytape replay --record`: a replayed session and the live bot's answers.
    case replay
    /// `gatewaytape proxy --record`: real traffic between a bot and an upstream gateway.
    case proxy
}
