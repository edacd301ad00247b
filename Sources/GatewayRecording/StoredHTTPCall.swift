/// A row of `http`: one REST call a bot made.
public struct StoredHTTPCall: Sendable, Hashable {
    /// `http.id`.
    public var id: Int64
    /// `session_id` (`nil` when the call could not be tied to a session).
    public var sessionID: String?
    /// `t_ns` (a NULL reads as 0).
    public var tNs: Int64
    /// `method` (a NULL reads as empty).
    public var method: String
    /// `path` (a NULL reads as empty).
    public var path: String
    /// `status`.
    public var status: Int?
    /// `request`: headers and body as JSON text (Authorization redacted).
    public var request: String?
    /// `response`: the response as JSON text.
    public var response: String?
    /// `route`: the route template (`POST /channels/{channel.id}/messages`); `nil` for an unknown route
    /// and in files that lack the column.
    public var route: String?
    /// `response_headers`: the answer's headers as a JSON object's text (`nil` in files that lack the column).
    public var responseHeaders: String?

    /// Creates a row value.
    public init(
        id: Int64, sessionID: String?, tNs: Int64, method: String, path: String, status: Int?, request: String?,
        response: String?, route: String? = nil, responseHeaders: String? = nil
    ) {
        self.id = id
        self.sessionID = sessionID
        self.tNs = tNs
        self.method = method
        self.path = path
        self.status = status
        self.request = request
        self.response = response
        self.route = route
        self.responseHeaders = responseHeaders
    }
}
