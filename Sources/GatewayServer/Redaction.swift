import Crypto

/// Token redaction as SPEC §7 says: a token becomes `"redacted:" + first 12 hex of its SHA-256`
/// before anything reaches a recording.
enum Redaction {
    /// Hex SHA-256 of a text.
    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// `redacted:` + the first 12 hex of the token's SHA-256.
    static func redact(_ token: String) -> String { "redacted:" + sha256Hex(token).prefix(12) }

    /// The interaction token in `/interactions/{id}/{token}/...` and `/webhooks/{application.id}/{token}/...`
    /// (with any `/api/vN` prefix) replaced by its redaction; other paths unchanged.
    static func redactInteractionToken(inPath path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let start = parts.firstIndex(where: { $0 == "interactions" || $0 == "webhooks" }), start + 2 < parts.count else { return path }
        let index = start + 2
        let (token, query) = parts[index].split(separator: "?", maxSplits: 1).map(String.init).splitFirst
        guard !token.hasPrefix("redacted:") else { return path }
        parts[index] = redact(token) + (query.map { "?" + $0 } ?? "")
        return parts.joined(separator: "/")
    }

    private static let tokenKey = Array(#""token""#.utf8)

    /// Replaces the string value of every `"token"` key in JSON text with its redaction, leaving every
    /// other byte as it was (works on text that does not parse, too).
    static func redactTokenFields(in bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var copied = 0
        var index = 0
        while let keyStart = bytes[index...].firstRange(of: tokenKey)?.lowerBound {
            var cursor = skipWhitespace(in: bytes, from: keyStart + tokenKey.count)
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else {
                index = keyStart + tokenKey.count
                continue
            }
            cursor = skipWhitespace(in: bytes, from: cursor + 1)
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else {
                index = keyStart + tokenKey.count
                continue
            }
            let valueStart = cursor + 1
            var valueEnd = valueStart
            while valueEnd < bytes.count, bytes[valueEnd] != UInt8(ascii: "\"") {
                valueEnd += bytes[valueEnd] == UInt8(ascii: "\\") ? 2 : 1
            }
            valueEnd = min(valueEnd, bytes.count)
            let token = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
            if output.isEmpty { output.reserveCapacity(bytes.count) }
            output.append(contentsOf: bytes[copied..<valueStart])
            if token.hasPrefix("redacted:") {
                output.append(contentsOf: token.utf8)
            } else {
                output.append(contentsOf: redact(token).utf8)
            }
            copied = valueEnd
            index = valueEnd
        }
        guard copied > 0 else { return bytes }
        output.append(contentsOf: bytes[copied...])
        return output
    }

    /// `redactTokenFields(in:)` on text.
    static func redactTokenFields(in text: String) -> String {
        String(decoding: redactTokenFields(in: Array(text.utf8)), as: UTF8.self)
    }

    /// Redacts the interaction token of a REST path: `/interactions/{id}/{token}/...` and
    /// `/webhooks/{application.id}/{token}/...` (any `/api` prefix, query kept).
    static func redactPathTokens(_ path: String) -> String {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for index in segments.indices.dropLast(2) where segments[index] == "interactions" || segments[index] == "webhooks" {
            let tokenIndex = index + 2
            var token = segments[tokenIndex]
            var query = ""
            if let mark = token.firstIndex(of: "?") {
                query = String(token[mark...])
                token = String(token[..<mark])
            }
            guard !token.isEmpty, !token.hasPrefix("redacted:") else { continue }
            segments[tokenIndex] = redact(token) + query
        }
        return segments.joined(separator: "/")
    }

    private static func skipWhitespace(in bytes: [UInt8], from start: Int) -> Int {
        var cursor = start
        while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 || bytes[cursor] == 0x0A || bytes[cursor] == 0x0D {
            cursor += 1
        }
        return cursor
    }
}

private extension Array where Element == String {
    /// The first element and the second, if any.
    var splitFirst: (String, String?) { (first ?? "", count > 1 ? self[1] : nil) }
}
