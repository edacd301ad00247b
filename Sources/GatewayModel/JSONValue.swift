import Foundation

/// A JSON document as a value: what client payloads, fixtures and control-API bodies are parsed into.
///
/// Integers keep 64-bit precision (snowflakes may be sent as numbers); object key order is not kept
/// (recordings keep the exact wire text separately).
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text (exactly one RFC 8259 value).
    /// - Throws: `JSONValue.ParseError` when the bytes are not JSON.
    public init(parsing bytes: some Collection<UInt8>) throws {
        guard let value = JSONParser.parse(Array(bytes)) else { throw ParseError() }
        self = value
    }

    /// Text that is not one JSON value.
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String { "not valid JSON" }
    }

    /// Parses JSON text.
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// The compact JSON text of this value (keys sorted, so output is stable).
    public var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(into: &output)
        return output
    }

    /// The compact JSON text of this value.
    public var jsonString: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// Appends the compact JSON text (a hand-written writer: JSONEncoder costs several µs per
    /// payload, and dispatches are encoded on the hot path).
    public func write(into output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let b): output.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): Self.writeInteger(i, into: &output)
        case .double(let d): output.append(contentsOf: (d.isFinite ? String(d) : "0").utf8)
        case .string(let s): Self.writeString(s, into: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            // Sorted by UTF-8 bytes (code point order): cheaper than `String`'s Unicode comparison, same
            // order for the ASCII keys of every Discord payload.
            for (index, entry) in object.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(entry.key, into: &output)
                output.append(UInt8(ascii: ":"))
                entry.value.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The JSON text of an object (`objectBytes`, as `jsonBytes` writes it) with `fields` added after its
    /// own keys; nil when `objectBytes` is not an object's text. Builds an event from the answer it
    /// extends without encoding the answer twice.
    public static func objectBytes(_ objectBytes: [UInt8], adding fields: [String: JSONValue]) -> [UInt8]? {
        guard objectBytes.first == UInt8(ascii: "{"), objectBytes.last == UInt8(ascii: "}") else { return nil }
        guard !fields.isEmpty else { return objectBytes }
        var output = objectBytes
        output.removeLast()
        var first = objectBytes.count == 2
        for (key, value) in fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            writeString(key, into: &output)
            output.append(UInt8(ascii: ":"))
            value.write(into: &output)
        }
        output.append(UInt8(ascii: "}"))
        return output
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Decimal digits without an intermediate `String`.
    private static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = output.count
        repeat {
            output.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        output[start...].reverse()
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, UTF-8 kept as is.
    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied in one go.
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: string.utf8)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    public subscript(key: String) -> JSONValue? {
        get { if case .object(let object) = self { object[key] } else { nil } }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    public var isNull: Bool { self == .null }

    /// An integer, also from a string of digits (Discord sends snowflakes as strings).
    public var int64Value: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: Int64(d)
        case .string(let s): Int64(s)
        default: nil
        }
    }

    /// A snowflake, from a string or a number.
    public var snowflake: UInt64? {
        switch self {
        case .int(let i) where i >= 0: UInt64(i)
        case .string(let s): UInt64(s)
        default: nil
        }
    }

    /// Merges `overrides` into this object: keys of `overrides` win. Non-objects are replaced.
    public func merging(_ overrides: JSONValue) -> JSONValue {
        guard case .object(var base) = self, case .object(let top) = overrides else { return overrides }
        for (key, value) in top { base[key] = value }
        return .object(base)
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int64.self) {
            self = .int(int)
        } else if let double = try? container.decode(Double.self) {
            self = .double(double)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d.isFinite ? d : 0)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
    public init(nilLiteral: ()) { self = .null }
}
