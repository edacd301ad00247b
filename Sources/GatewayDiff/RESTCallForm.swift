import GatewayModel
import GatewayRecording
import GatewayWorld

/// How REST calls compare, in `diff`, in `replay --verify` and in a replay's matching of the live
/// bot's calls with the recorded ones (SPEC §8): one normalisation for all three.
public enum RESTCallForm {
    /// The request body of an `http.request` text (`{"headers", "body"}`): a body that is JSON text
    /// (a `payload_json`) is parsed; `.null` when there is none.
    public static func requestBody(ofRecorded request: String?) -> JSONValue {
        guard let request, let parsed = try? JSONValue(parsing: Array(request.utf8)), let body = parsed["body"] else { return .null }
        if let text = body.stringValue, let inner = try? JSONValue(parsing: Array(text.utf8)) { return inner }
        return body
    }

    /// A body normalised as `diff` normalises it (nonces, tokens and timestamps replaced), its
    /// snowflakes kept: both sides of a replay share the recorded ids, so an id is its own alias.
    public static func comparable(_ body: JSONValue) -> JSONValue {
        var normaliser = Normaliser()
        normaliser.aliasesSnowflakes = false
        return normaliser.normalise(body, key: nil)
    }

    /// A call's name in reports: its route template (`POST /channels/{channel.id}/messages`), from the
    /// recording or matched now; `METHOD shape` for a path no route has.
    static func label(_ call: StoredHTTPCall, shape: String) -> String {
        call.route ?? RESTRoute.name(method: call.method, path: call.path) ?? "\(call.method) \(shape)"
    }
}
