import GatewayModel

/// Edits of JSON text that keep every other byte as it was (a proxy forwards the upstream's bytes).
enum JSONText {
    /// Replaces the string value of the first `"key": "…"` in `bytes` with `value` (JSON-escaped);
    /// `nil` when there is no such key with a string value.
    static func replacingStringValue(of key: String, in bytes: UnsafeRawBufferPointer, with value: String) -> [UInt8]? {
        let pattern = Array(("\"" + key + "\"").utf8)
        var searchFrom = 0
        while let found = firstIndex(of: pattern, in: bytes, from: searchFrom) {
            searchFrom = found + pattern.count
            if found > 0, bytes[found - 1] == UInt8(ascii: "\\") { continue }
            var cursor = skipWhitespace(bytes, from: found + pattern.count)
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else { continue }
            cursor = skipWhitespace(bytes, from: cursor + 1)
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { continue }
            var end = cursor + 1
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
            guard end < bytes.count else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + value.utf8.count)
            output.append(contentsOf: bytes[..<cursor])
            output.append(contentsOf: JSONValue.string(value).jsonBytes)
            output.append(contentsOf: bytes[(end + 1)...])
            return output
        }
        return nil
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard pattern.count <= bytes.count else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0], bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
            index += 1
        }
        return nil
    }

    private static func skipWhitespace(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var cursor = start
        while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 || bytes[cursor] == 0x0A || bytes[cursor] == 0x0D {
            cursor += 1
        }
        return cursor
    }
}
