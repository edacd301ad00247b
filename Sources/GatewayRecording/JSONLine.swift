import Foundation

/// Builds one JSON object on one line with keys in the order they are added: the line format of
/// `export` and `inspect --format jsonl`.
///
/// Strings are escaped exactly (RFC 8259): `"` and `\` are backslash-escaped, control characters
/// below U+0020 become `\b \f \n \r \t` or `\u00XX`, everything else is copied as UTF-8. Decoding a
/// string written here yields the original text exactly.
///
/// ```swift
/// var line = JSONLine()
/// line.add("kind", "frame")
/// line.add("id", 42 as Int64)
/// line.add("payload", text: payloadBytes)
/// output.write(line.finish())   // {"kind":"frame","id":42,"payload":"..."}\n
/// ```
public struct JSONLine: Sendable {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var empty = true

    /// Starts an empty object.
    public init() {}

    private mutating func key(_ key: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        Self.appendString(key.utf8, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private static let null: [UInt8] = Array("null".utf8)

    /// Adds a string field (`null` when `nil`).
    public mutating func add(_ key: String, _ value: String?) {
        self.key(key)
        if let value { Self.appendString(value.utf8, to: &bytes) } else { bytes += Self.null }
    }

    /// Adds a string field from UTF-8 bytes, which must be valid UTF-8 (see ``isValidUTF8(_:)``).
    public mutating func add(_ key: String, text value: [UInt8]?) {
        self.key(key)
        if let value { Self.appendString(value, to: &bytes) } else { bytes += Self.null }
    }

    /// Adds an integer field (`null` when `nil`).
    public mutating func add(_ key: String, _ value: Int64?) {
        self.key(key)
        if let value { bytes += String(value).utf8 } else { bytes += Self.null }
    }

    /// Adds an integer field (`null` when `nil`).
    public mutating func add(_ key: String, _ value: Int?) {
        add(key, value.map { Int64($0) })
    }

    /// Adds a number field written with up to `decimals` digits after the point (no exponent).
    public mutating func add(_ key: String, _ value: Double, decimals: Int) {
        self.key(key)
        bytes += Self.fixed(value, decimals: decimals).utf8
    }

    /// Adds a boolean field.
    public mutating func add(_ key: String, _ value: Bool) {
        self.key(key)
        bytes += (value ? "true" : "false").utf8
    }

    /// Adds a field whose value is JSON text, embedded as JSON (not as a string) when it parses;
    /// otherwise as a string, or `null` when `nil`. Line breaks between tokens become spaces, so the
    /// object stays on one line.
    public mutating func add(_ key: String, json value: [UInt8]?) {
        guard let value else {
            self.key(key)
            bytes += Self.null
            return
        }
        guard Self.isJSON(value) else {
            if Self.isValidUTF8(value) {
                add(key, text: value)
            } else {
                add(key, String(decoding: value, as: UTF8.self))
            }
            return
        }
        self.key(key)
        // In valid JSON, raw CR and LF can only be whitespace between tokens.
        for byte in value {
            bytes.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte)
        }
    }

    /// Adds a field of already-encoded JSON text, copied as is (it must be valid, one-line JSON).
    public mutating func add(_ key: String, rawJSON value: [UInt8]) {
        self.key(key)
        bytes += value
    }

    /// The object as a line, ending with `\n`.
    public func finish() -> [UInt8] {
        var result = bytes
        result.append(UInt8(ascii: "}"))
        result.append(UInt8(ascii: "\n"))
        return result
    }

    // MARK: Helpers

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `text` as a quoted, escaped JSON string.
    static func appendString(_ text: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x00..<0x20:
                out += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether `bytes` are well-formed UTF-8 (so that they survive a trip through a JSON string).
    public static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// Whether `bytes` are one JSON value (object, array, or fragment).
    public static func isJSON(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        return (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
    }

    /// `value` with exactly `decimals` digits after the point, e.g. `fixed(1.5, decimals: 3)` = `1.500`.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        let scale = (0..<decimals).reduce(1.0) { acc, _ in acc * 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let integer = Int64(scaled)
        let divisor = Int64(scale)
        var whole = String(integer / divisor)
        if value < 0 && integer != 0 { whole = "-" + whole }
        guard decimals > 0 else { return whole }
        let fraction = String(integer % divisor)
        return whole + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
