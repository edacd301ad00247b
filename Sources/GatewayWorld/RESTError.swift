import GatewayModel

/// A REST call Discord refuses: the HTTP status and Discord's JSON error body
/// (`{"message", "code", "errors"?}`, PROTOCOL §2.5).
public struct RESTError: Error, Equatable, Sendable {
    public var status: Int
    public var code: Int
    public var message: String
    /// Discord's nested `errors` object of a 50035 "Invalid Form Body".
    public var errors: JSONValue?

    public init(status: Int, code: Int, message: String, errors: JSONValue? = nil) {
        self.status = status; self.code = code; self.message = message; self.errors = errors
    }

    /// The answer's body.
    public var body: JSONValue {
        var body: JSONValue = ["message": .string(message), "code": .int(Int64(code))]
        if let errors { body["errors"] = errors }
        return body
    }

    public static let unknownChannel = RESTError(status: 404, code: 10003, message: "Unknown Channel")
    public static let unknownGuild = RESTError(status: 404, code: 10004, message: "Unknown Guild")
    public static let unknownMember = RESTError(status: 404, code: 10007, message: "Unknown Member")
    public static let unknownMessage = RESTError(status: 404, code: 10008, message: "Unknown Message")
    public static let unknownRole = RESTError(status: 404, code: 10011, message: "Unknown Role")
    public static let unknownUser = RESTError(status: 404, code: 10013, message: "Unknown User")
    public static let unknownEmoji = RESTError(status: 400, code: 10014, message: "Unknown Emoji")
    public static let unknownWebhook = RESTError(status: 404, code: 10015, message: "Unknown Webhook")
    public static let unknownInteraction = RESTError(status: 404, code: 10062, message: "Unknown interaction")
    public static let alreadyAcknowledged = RESTError(status: 400, code: 40060, message: "Interaction has already been acknowledged.")
    public static let otherUsersMessage = RESTError(status: 403, code: 50005, message: "Cannot edit a message authored by another user")
    public static let emptyMessage = RESTError(status: 400, code: 50006, message: "Cannot send an empty message")
    public static let invalidWebhookToken = RESTError(status: 401, code: 50027, message: "Invalid Webhook Token")
    public static let unauthorized = RESTError(status: 401, code: 0, message: "401: Unauthorized")
    public static let unknownRoute = RESTError(status: 404, code: 0, message: "404: Not Found")
    public static let methodNotAllowed = RESTError(status: 405, code: 0, message: "405: Method Not Allowed")

    /// 50035 "Invalid Form Body" with one field error at `path` (dotted, arrays by index: `embeds.0.title`).
    public static func invalidFormBody(_ path: String, code: String, message: String) -> RESTError {
        var errors: JSONValue = ["_errors": [["code": .string(code), "message": .string(message)]]]
        for key in path.split(separator: ".").reversed() { errors = [String(key): errors] }
        return RESTError(status: 400, code: 50035, message: "Invalid Form Body", errors: errors)
    }

    /// 50035 for a field of the wrong type.
    public static func wrongType(_ path: String, expected: String) -> RESTError {
        invalidFormBody(path, code: "MODEL_TYPE_CONVERT", message: "Could not interpret the value as \(expected).")
    }
}
