import GatewayModel

/// An RFC 6901 JSON pointer naming a field to leave out of a comparison (`--ignore`).
///
/// Pointers address a step's normalised value: for a gateway frame the whole frame
/// (`/d/presence`, `/d/properties/os`), for a REST call `{method, path, body}` (`/body/nonce`),
/// for a client close `{close}`. A `*` segment matches every key or index at that level
/// (`/d/guild_id`, `/d/*/since`). `~0` and `~1` escape `~` and `/`.
///
/// ```swift
/// let pointer = try JSONPointer("/d/presence")
/// ```
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The pointer text as given.
    public let text: String
    /// The unescaped reference tokens.
    public let segments: [String]

    /// Parses a pointer.
    /// - Parameter text: `""` (the whole value) or `/`-separated tokens.
    /// - Throws: ``JSONPointer/SyntaxError`` when the text does not start with `/` or has a `~`
    ///   that is not `~0` or `~1`.
    public init(_ text: String) throws(SyntaxError) {
        self.text = text
        if text.isEmpty {
            segments = []
            return
        }
        guard text.hasPrefix("/") else {
            throw SyntaxError(pointer: text, reason: "a JSON pointer starts with \"/\" (for example /d/presence)")
        }
        var parsed: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var segment = ""
            var iterator = raw.makeIterator()
            while let character = iterator.next() {
                guard character == "~" else {
                    segment.append(character)
                    continue
                }
                switch iterator.next() {
                case "0": segment.append("~")
                case "1": segment.append("/")
                default: throw SyntaxError(pointer: text, reason: "\"~\" must be followed by 0 or 1")
                }
            }
            parsed.append(segment)
        }
        segments = parsed
    }

    public var description: String { text }

    /// A pointer that cannot be parsed.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The pointer as given.
        public var pointer: String
        /// Why it is refused.
        public var reason: String
        public var description: String { "bad JSON pointer \"\(pointer)\": \(reason)" }
    }

    /// The pointer text for `segments` (escaping `~` and `/`).
    static func text(for segments: [String]) -> String {
        var text = ""
        for segment in segments {
            text.append("/")
            for character in segment {
                switch character {
                case "~": text.append("~0")
                case "/": text.append("~1")
                default: text.append(character)
                }
            }
        }
        return text
    }

    /// `value` with every field this pointer matches removed (the whole value becomes `null`
    /// for the empty pointer).
    func removing(from value: JSONValue) -> JSONValue {
        Self.remove(segments[...], from: value)
    }

    private static func remove(_ segments: ArraySlice<String>, from value: JSONValue) -> JSONValue {
        guard let head = segments.first else { return .null }
        let rest = segments.dropFirst()
        switch value {
        case .object(var object):
            let keys = head == "*" ? Array(object.keys) : (object[head] == nil ? [] : [head])
            for key in keys {
                if rest.isEmpty {
                    object[key] = nil
                } else if let child = object[key] {
                    object[key] = remove(rest, from: child)
                }
            }
            return .object(object)
        case .array(var items):
            if head == "*" {
                if rest.isEmpty { return .array([]) }
                items = items.map { remove(rest, from: $0) }
            } else if let index = Int(head), items.indices.contains(index) {
                // Removing an element would shift the others; blank it instead.
                items[index] = rest.isEmpty ? .null : remove(rest, from: items[index])
            }
            return .array(items)
        default:
            return value
        }
    }
}
