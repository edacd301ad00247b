import GatewayModel

extension ProtocolHint {
    /// The known mistakes in one side's session.
    static func detect(
        in tracks: [ConnectionTrack], cadence: HeartbeatCadence, side: String, originNs: Int64
    ) -> [ProtocolHint] {
        var hints: [ProtocolHint] = []
        func add(_ kind: Kind, _ message: String, at tNs: Int64?, _ connection: Int64?) {
            hints.append(ProtocolHint(side: side, kind: kind, message: message, offsetNs: tNs.map { $0 - originNs }, connectionID: connection))
        }
        let identify = GatewayOpcode.identify.rawValue
        let resume = GatewayOpcode.resume.rawValue

        for (index, track) in tracks.enumerated() {
            // The bot's next IDENTIFY or RESUME after `tNs`: on this connection, or on a later one of the same shard.
            func nextHandshake(after tNs: Int64) -> (ConnectionTrack.ClientFrame, Int64?)? {
                if let frame = track.client.first(where: { $0.tNs > tNs && ($0.op == identify || $0.op == resume) }) {
                    return (frame, track.id)
                }
                for later in tracks[(index + 1)...] where later.lane == track.lane {
                    if let frame = later.client.first(where: { $0.tNs > tNs && ($0.op == identify || $0.op == resume) }) {
                        return (frame, later.id)
                    }
                }
                return nil
            }

            for event in track.server where event.op == GatewayOpcode.invalidSession.rawValue {
                guard let (frame, connection) = nextHandshake(after: event.tNs) else { continue }
                if event.resumable == false, frame.op == resume {
                    add(
                        .resumeAfterInvalidSession,
                        "RESUME after op 9 INVALID_SESSION with d:false: that session cannot be resumed, the bot must IDENTIFY",
                        at: frame.tNs, connection)
                }
                if frame.op == identify, frame.tNs - event.tNs < 1_000_000_000 {
                    add(
                        .identifyTooSoonAfterInvalidSession,
                        "IDENTIFY \(Format.ms(Double(frame.tNs - event.tNs) / 1e6)) after op 9 INVALID_SESSION: wait 1–5 s before identifying again",
                        at: frame.tNs, connection)
                }
            }

            if let code = track.closeCode, let closed = track.closedNs,
                !GatewayCloseCode(rawValue: UInt16(clamping: code)).allowsReconnect,
                let later = tracks[(index + 1)...].first(where: { ($0.startNs ?? .min) >= closed && !$0.client.isEmpty })
            {
                add(
                    .reconnectAfterFatalClose,
                    "reconnected after close \(GatewayCloseCode(rawValue: UInt16(clamping: code))), which does not allow reconnecting",
                    at: later.startNs, later.id)
            }

            for event in track.server where event.op == GatewayOpcode.reconnect.rawValue {
                let deadline = event.tNs + 5_000_000_000
                let closedInTime = (track.closedNs ?? .max) <= deadline
                if !closedInTime, let late = track.client.first(where: { $0.tNs > deadline }) {
                    add(
                        .ignoredReconnect,
                        "kept using the connection more than 5 s after op 7 RECONNECT: the bot should reconnect and RESUME",
                        at: late.tNs, track.id)
                }
            }

            if track.closeCode == Int(GatewayCloseCode.sessionTimedOut.rawValue) {
                add(.missedHeartbeats, "the server closed the connection with 4009: the bot missed heartbeats", at: track.closedNs, track.id)
            }

            let busiest = PreparedBehaviour.busiestMinute(track)
            if busiest.count > 120 {
                add(
                    .rateLimit,
                    "\(busiest.count) frames within 60 s on one connection: the gateway allows 120 and closes with 4008",
                    at: busiest.endNs, track.id)
            }
        }

        if let hello = cadence.helloIntervalMs, hello > 0, let mean = cadence.meanMs, abs(mean - hello) > 0.1 * hello {
            add(
                .heartbeatCadence,
                "heartbeats every \(Format.ms(mean)) on average, HELLO asked for \(Format.ms(hello)) (off by \(Format.percent(abs(mean - hello) / hello)))",
                at: nil, nil)
        }
        return hints
    }
}
