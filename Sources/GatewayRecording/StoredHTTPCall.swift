import Foundation
import GatewayModel

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

    /// ``path`` as readers compare it (SPEC §7), so that files from other writers compare equal:
    /// without the `/api` or `/api/vN` prefix, and the path part percent-decoded (the query as sent).
    /// `/api/v10/channels/1/messages?limit=5` and `/api/channels/1/messages?limit=5` both give
    /// `/channels/1/messages?limit=5`.
    public var comparablePath: String {
        let mark = path.firstIndex(of: "?") ?? path.endIndex
        var route = path[..<mark]
        if route == "/api" || route.hasPrefix("/api/") {
            route = route.dropFirst(4)
            let version = route.dropFirst(2).prefix { $0.isASCII && $0.isNumber }
            if route.hasPrefix("/v"), !version.isEmpty, route.dropFirst(2 + version.count).first.map({ $0 == "/" }) ?? true {
                route = route.dropFirst(2 + version.count)
            }
        }
        let decoded = String(route).removingPercentEncoding ?? String(route)
        return (decoded.isEmpty ? "/" : decoded) + path[mark...]
    }

    /// The row of a REST call the server reported.
    /// - Parameters:
    ///   - id: the row's `http.id` when the record has none.
    ///   - tNs: its `t_ns`.
    public init(_ record: HTTPRecord, id: Int64, tNs: Int64) {
        self.init(
            id: record.id ?? id, sessionID: record.sessionID, tNs: tNs, method: record.method, path: record.path,
            status: record.status, request: record.request, response: record.response, route: record.route,
            responseHeaders: record.responseHeaders)
    }
}

extension StoredHTTPCall: RecordingRow {
    static let table = RecordingTable(
        "http", lineKind: "http",
        [
            .init("id", .integer), .init("session_id", .text), .init("t_ns", .integer), .init("method", .text),
            .init("path", .text), .init("status", .integer), .init("request", .json), .init("response", .json),
            .init("route", .text, addition: true), .init("response_headers", .json, addition: true),
        ])

    init<Source: RowSource>(from row: inout Source) throws(RowError) {
        self.init(
            id: try row.requiredInteger(), sessionID: try row.text(), tNs: try row.requiredInteger(),
            method: try row.requiredText(), path: try row.requiredText(), status: try row.int(), request: try row.text(),
            response: try row.text(), route: try row.text(), responseHeaders: try row.text())
    }

    func write<Sink: RowSink>(to row: inout Sink) {
        row.integer(id)
        row.text(sessionID)
        row.integer(tNs)
        row.text(method)
        row.text(path)
        row.int(status)
        row.text(request)
        row.text(response)
        row.text(route)
        row.text(responseHeaders)
    }
}
