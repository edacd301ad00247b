import Foundation
import GatewayDiff
import GatewayModel
import GatewayRecording
import GatewayServer
import GatewayWorld
import Synchronization

/// The recorded REST calls of a session, answering the live bot's calls like a cassette (SPEC §8):
/// a live call takes the first unused recorded call of its method and route with equal path ids,
/// query and body (normalised as `diff` normalises them, interaction ids and tokens the replay
/// minted mapped back to the recorded ones), and is answered with its status, body and headers,
/// then the dispatches it brought. Startup routes, and calls without a match, go to the world.
final class RecordedCalls: RESTResponder, Sendable {
    /// One recorded call, ready for matching.
    struct Call: Sendable {
        let stored: StoredHTTPCall
        let route: RESTRoute
        let parameters: [String: String]
        let query: String
        /// The body in comparable form.
        let body: JSONValue
        /// The dispatches it brought, in recorded order.
        var caused: [WorldEvent] = []
    }

    private struct State {
        /// Per route, the indices of the calls not used yet, in recorded order.
        var unused: [RESTRoute: [Int]] = [:]
        /// Minted interaction id or token → the recorded one (`redacted:…` for tokens).
        var recordedForms: [String: String] = [:]
        /// Live call id → the index in `calls` of the recorded call that answered it.
        var answered: [Int64: Int] = [:]
    }

    let calls: [Call]
    private let state: Mutex<State>
    /// Notified when a recorded call is used.
    private let changes = ChangeNotifier()
    /// Unix seconds now (rate-limit headers' `X-RateLimit-Reset`).
    private let unixNow: @Sendable () -> Double

    /// - Parameters:
    ///   - http: the recorded calls, in `id` order.
    ///   - caused: per `http.id`, the dispatches it brought.
    init(http: [StoredHTTPCall], caused: [Int64: [WorldEvent]], unixNow: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        var calls: [Call] = []
        var unused: [RESTRoute: [Int]] = [:]
        for stored in http {
            guard case .success(let match) = RESTRoute.match(method: stored.method, path: stored.path), !match.route.isStartup else { continue }
            unused[match.route, default: []].append(calls.count)
            calls.append(Call(
                stored: stored, route: match.route, parameters: match.parameters, query: Self.query(of: stored.path),
                body: RESTCallForm.comparable(RESTCallForm.requestBody(ofRecorded: stored.request)), caused: caused[stored.id] ?? []))
        }
        self.calls = calls
        self.unixNow = unixNow
        state = Mutex(State(unused: unused))
    }

    private static func query(of path: String) -> String {
        path.firstIndex(of: "?").map { String(path[path.index(after: $0)...]) } ?? ""
    }

    /// Remembers an interaction the replay re-dispatched under a fresh id and token.
    func adopted(recordedID: String, recordedToken: String, freshID: String, freshToken: String) {
        state.withLock { state in
            state.recordedForms[freshID] = recordedID
            state.recordedForms[freshToken] = recordedToken
            state.recordedForms[GatewayServer.redactedInteractionToken(freshToken)] = recordedToken
        }
    }

    // MARK: Matching

    func answer(_ call: RESTCall) -> RESTReply? {
        guard !call.match.route.isStartup else { return nil }
        var parameters = call.match.parameters
        let body = RESTCallForm.comparable(call.body)
        let index: Int? = state.withLock { state in
            for name in ["interaction.id", "interaction.token"] {
                if let live = parameters[name], let recorded = state.recordedForms[live] { parameters[name] = recorded }
            }
            guard let queue = state.unused[call.match.route],
                let position = queue.firstIndex(where: { calls[$0].parameters == parameters && calls[$0].query == call.query && calls[$0].body == body })
            else { return nil }
            if call.match.route == .interactionCallback {
                // The 3-second and acknowledge-once rules hold for a recorded answer too: a late
                // callback is the world's to answer (10062), and the recorded one stays unused.
                let type = call.body["type"]?.int64Value
                guard let id = call.match["interaction.id"].flatMap(UInt64.init), let token = call.match["interaction.token"],
                    (try? call.world.acknowledgeInteraction(id: id, token: token, deferred: type == 5 || type == 6)) != nil
                else { return nil }
            }
            state.unused[call.match.route]!.remove(at: position)
            state.answered[call.id] = queue[position]
            return queue[position]
        }
        if index != nil { changes.notify() }
        return index.map { reply(for: calls[$0]) }
    }

    private func reply(for call: Call) -> RESTReply {
        let stored = call.stored
        let status = stored.status ?? 200
        var body = stored.response.flatMap { try? JSONValue(parsing: Array($0.utf8)) }
        if body == .null { body = nil }
        return RESTReply(status: status, body: body, headers: stored.responseHeaders.flatMap(headers), events: call.caused)
    }

    /// The recorded answer's rate-limit headers, `Retry-After` and `Via`, with `X-RateLimit-Reset`
    /// moved to the replay's clock (now + `X-RateLimit-Reset-After`); nil when none was recorded.
    private func headers(_ text: String) -> [(name: String, value: String)]? {
        guard let object = (try? JSONValue(parsing: Array(text.utf8)))?.objectValue else { return nil }
        var headers: [(name: String, value: String)] = []
        let resetAfter = object.first { $0.key.lowercased() == "x-ratelimit-reset-after" }?.value.stringValue.flatMap { Double($0) }
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            let lower = name.lowercased()
            guard lower.hasPrefix("x-ratelimit-") || lower == "retry-after" || lower == "via", let text = value.stringValue else { continue }
            if lower == "x-ratelimit-reset", let resetAfter {
                headers.append((name, String(format: "%.3f", unixNow() + resetAfter)))
            } else {
                headers.append((name, text))
            }
        }
        return headers.isEmpty ? nil : headers
    }

    /// How long the end of a run waits for recorded calls the live bot has not made yet (at full
    /// speed the timeline ends long before the bot has done its work).
    static let lateCallGrace = 5_000

    /// Waits until the live bot has made every recorded call, at most `milliseconds`.
    func waitUntilUsed(milliseconds: Int) async {
        _ = await changes.wait(milliseconds: milliseconds) { state.withLock { $0.unused.values.allSatisfy(\.isEmpty) } ? true : nil }
    }

    // MARK: Verification

    /// A live call's path or a live frame's text with the minted interaction ids and tokens replaced by
    /// the recorded ones, so that `--verify` compares like with like.
    func recordedForm(_ text: String) -> String {
        let forms = state.withLock { $0.recordedForms }
        var text = text
        for (minted, recorded) in forms where text.contains(minted) {
            text = text.replacingOccurrences(of: minted, with: recorded)
        }
        return text
    }

    /// The live session's REST calls and frames in recorded form (see ``recordedForm(_:)``), the calls
    /// answered from the recording in the order of the calls that answered them: calls a bot makes
    /// at once (its handlers of events a fast replay sent back to back) may reach the server in any
    /// order, and when the bot calls is the timing summary's business, not a divergence.
    func recordedForm(calls: [StoredHTTPCall], frames: [StoredFrame]) -> ([StoredHTTPCall], [StoredFrame]) {
        let answered = state.withLock { $0.answered }
        var calls = calls.sorted { $0.tNs < $1.tNs }.map { call in
            var call = call
            call.path = recordedForm(call.path)
            return call
        }
        // The answered calls change places among the slots they hold; each slot keeps its time.
        let slots = calls.indices.filter { answered[calls[$0].id] != nil }
        let reordered = slots.map { calls[$0] }.sorted { answered[$0.id]! < answered[$1.id]! }
        for (slot, call) in zip(slots, reordered) {
            let tNs = calls[slot].tNs
            calls[slot] = call
            calls[slot].tNs = tNs
        }
        guard state.withLock({ !$0.recordedForms.isEmpty }) else { return (calls, frames) }
        let frames = frames.map { frame in
            guard frame.event == "INTERACTION_CREATE" else { return frame }
            var frame = frame
            frame.payload = Array(recordedForm(frame.payloadText).utf8)
            return frame
        }
        return (calls, frames)
    }
}

extension RecordedCalls {
    /// Sends a recorded INTERACTION_CREATE under a fresh id and token and remembers both, so the live
    /// bot's callback and webhook calls on it match the recorded ones.
    func redispatch(interaction data: JSONValue, sessionID: String, server: GatewayServer) {
        server.dispatchAdoptedInteraction(sessionID, payload: data) { id, token in
            guard let recordedID = data["id"]?.stringValue, let recordedToken = data["token"]?.stringValue else { return }
            adopted(recordedID: recordedID, recordedToken: recordedToken, freshID: id, freshToken: token)
        }
    }
}

extension ReplayScheduler.Pacing {
    /// Milliseconds the live bot has for an interaction's first callback: Discord's 3 s at the
    /// replay's speed (unscaled at full speed, where recorded gaps vanish but the bot's work does not).
    var interactionCallbackWindow: UInt64 {
        switch self {
        case .speed(let factor): UInt64((3_000 / factor).rounded())
        case .maxSpeed: 3_000
        }
    }
}
