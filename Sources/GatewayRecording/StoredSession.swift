/// A row of `sessions`: one bot under test.
public struct StoredSession: Sendable, Hashable {
    /// `sessions.id`.
    public var id: String
    /// `sessions.name` (`nil` when NULL).
    public var name: String?
    /// `sessions.token_sha256`: hex SHA-256 of the bot's token (`nil` when NULL).
    public var tokenSHA256: String?
    /// `sessions.created_ns`: when the session was created, ns since the recording started.
    public var createdNs: Int64?

    /// Creates a row value.
    public init(id: String, name: String? = nil, tokenSHA256: String? = nil, createdNs: Int64? = nil) {
        self.id = id
        self.name = name
        self.tokenSHA256 = tokenSHA256
        self.createdNs = createdNs
    }
}

extension StoredSession: RecordingRow {
    static let table = RecordingTable(
        "sessions", lineKind: "session",
        [.init("id", .text), .init("name", .text), .init("token_sha256", .text), .init("created_ns", .integer)])

    init<Source: RowSource>(from row: inout Source) throws(RowError) {
        self.init(id: try row.requiredText(), name: try row.text(), tokenSHA256: try row.text(), createdNs: try row.integer())
    }

    func write<Sink: RowSink>(to row: inout Sink) {
        row.text(id)
        row.text(name)
        row.text(tokenSHA256)
        row.integer(createdNs)
    }
}
