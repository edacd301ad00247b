/// The envelope of a gateway frame's JSON text — `op`, `s` and `t` — read without parsing `d`.
///
/// A proxy forwards every frame as the upstream wrote it and needs only these three fields (to record
/// the frame, to spot READY, RESUMED and heartbeat ACKs). The scan stops as soon as it has all three, so
/// a dispatch whose `d` comes last (Discord's and gatewaytape's key order) costs a few dozen bytes.
public struct GatewayFrameHeader: Sendable, Equatable {
    /// `op`, when present and an integer.
    public var op: Int?
    /// `s`, when present and an integer (`null` and absence are both `nil`).
    public var seq: Int64?
    /// `t`, when present and a string.
    public var event: String?

    public init(op: Int?, seq: Int64?, event: String?) {
        self.op = op
        self.seq = seq
        self.event = event
    }

    /// Reads the top-level `op`, `s` and `t` of a frame's JSON text. Text that is not a JSON object
    /// gives a header with every field `nil`.
    public init(scanning bytes: UnsafeRawBufferPointer) {
        var scanner = Scanner(bytes: bytes)
        self = scanner.header()
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        mutating func header() -> GatewayFrameHeader {
            var header = GatewayFrameHeader(op: nil, seq: nil, event: nil)
            var found = 0
            skipWhitespace()
            guard take(UInt8(ascii: "{")) else { return header }
            while found < 3 {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return header }
                let keyStart = position + 1
                guard skipString() else { return header }
                let key = UnsafeRawBufferPointer(rebasing: bytes[keyStart..<(position - 1)])
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return header }
                skipWhitespace()
                if key.count == 2, key[0] == UInt8(ascii: "o"), key[1] == UInt8(ascii: "p") {
                    header.op = integer().map { Int($0) }
                    found += 1
                } else if key.count == 1, key[0] == UInt8(ascii: "s") {
                    header.seq = integer()
                    found += 1
                } else if key.count == 1, key[0] == UInt8(ascii: "t") {
                    header.event = stringValue()
                    found += 1
                }
                guard skipValue() else { return header }
                skipWhitespace()
                guard take(UInt8(ascii: ",")) else { return header }
            }
            return header
        }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// An integer at the cursor (the cursor does not move; `skipValue` moves past it).
        func integer() -> Int64? {
            var index = position
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var value: Int64 = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), digits < 18 {
                value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
            if index < bytes.count {
                let next = bytes[index]
                if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { return nil }
            }
            return negative ? -value : value
        }

        /// A string without escapes at the cursor (event names have none; the cursor does not move).
        func stringValue() -> String? {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            var end = position + 1
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                if bytes[end] == UInt8(ascii: "\\") { return nil }
                end += 1
            }
            guard end < bytes.count else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(position + 1)..<end]), as: UTF8.self)
        }

        /// Moves past the string that starts at the cursor; false when it is not terminated.
        mutating func skipString() -> Bool {
            position += 1
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    position += 1
                    return true
                case UInt8(ascii: "\\"): position += 2
                default: position += 1
                }
            }
            return false
        }

        /// Moves past one value of any kind (objects and arrays by depth, strings by their quotes).
        mutating func skipValue() -> Bool {
            guard position < bytes.count else { return false }
            switch bytes[position] {
            case UInt8(ascii: "\""):
                return skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while position < bytes.count {
                    switch bytes[position] {
                    case UInt8(ascii: "\""):
                        guard skipString() else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            position += 1
                            return true
                        }
                    default: break
                    }
                    position += 1
                }
                return false
            default:
                // A number or a literal: up to the next delimiter.
                while position < bytes.count {
                    switch bytes[position] {
                    case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: return true
                    default: position += 1
                    }
                }
                return true
            }
        }
    }
}
