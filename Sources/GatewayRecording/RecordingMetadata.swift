/// The `meta` table of a recording: `format`, `tool_version`, `created_at`, `mode`, `source`, and any
/// other keys, in key order.
public struct RecordingMetadata: Sendable, Hashable {
    /// One `meta` row.
    public struct Entry: Sendable, Hashable {
        /// `meta.key`.
        public var key: String
        /// `meta.value` (`nil` when NULL).
        public var value: String?
        /// Creates a row value.
        public init(key: String, value: String?) {
            self.key = key
            self.value = value
        }
    }

    /// Every row, sorted by key. Empty for a file without `meta` rows.
    public var entries: [Entry]

    /// Creates metadata from rows.
    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The value for `key` (`nil` when absent or NULL).
    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value ?? nil
    }

    /// `format`, e.g. `gatewaytape-recording/1` (informative; the file's `user_version` decides).
    public var format: String? { self["format"] }
    /// `tool_version`.
    public var toolVersion: String? { self["tool_version"] }
    /// `created_at`, ISO 8601 UTC.
    public var createdAt: String? { self["created_at"] }
    /// `mode` as stored (`serve`, `replay`, `proxy`).
    public var mode: String? { self["mode"] }
    /// `source`: the recording replayed or the upstream URL.
    public var source: String? { self["source"] }
}
