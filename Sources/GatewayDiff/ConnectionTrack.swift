import GatewayModel

/// What one connection of a side shows: the bot's frames and the server frames and close that
/// the timing summary and the hints need.
struct ConnectionTrack {
    /// A server frame that matters for hints (op 1, 7, 9).
    struct ServerEvent {
        var tNs: Int64
        var op: Int
        /// op 9's `d`.
        var resumable: Bool?
    }

    /// A frame the bot sent.
    struct ClientFrame {
        var tNs: Int64
        var op: Int?
        /// Index into the side's parsed client frames (`nil` for heartbeats, never parsed).
        var parsed: Int?
    }

    var id: Int64?
    var lane = 0
    var openedNs: Int64?
    var closedNs: Int64?
    var closeCode: Int?
    var closedBy: String?
    var gatewaySessionID: String?
    var shardFromTable: Int?
    var helloNs: Int64?
    var helloIntervalMs: Double?
    var lastFrameNs: Int64?
    var client: [ClientFrame] = []
    var server: [ServerEvent] = []

    /// When the connection started: opened, else its first frame.
    var startNs: Int64? { openedNs ?? client.first?.tNs ?? helloNs }

    /// When it ended: closed, else its last frame.
    var endNs: Int64? { closedNs ?? lastFrameNs }

    /// The first client frame with opcode `op` at or after `tNs`.
    func firstClient(op: Int, from tNs: Int64 = .min) -> ClientFrame? {
        client.first { $0.op == op && $0.tNs >= tNs }
    }
}
