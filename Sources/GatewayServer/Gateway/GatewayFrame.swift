import GatewayModel
import NIOCore

/// Builds the JSON text of server → client frames. Every frame has all four keys `op`, `d`, `s`, `t`.
///
/// A dispatch's `d` is serialised once (by the caller) and spliced here, so sending one event to many
/// connections never re-encodes JSON.
enum GatewayFrame {
    /// The byte length of `dispatch(seq:event:data:into:)`'s output, so the WebSocket header can be
    /// written before the JSON.
    static func dispatchLength(seq: Int64, event: String, data: ByteBuffer) -> Int {
        #"{"op":0,"s":"#.utf8.count + decimalDigits(seq) + #","t":""#.utf8.count + event.utf8.count
            + #"","d":"#.utf8.count + data.readableBytes + 1
    }

    static func decimalDigits(_ value: Int64) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }

    /// `{"op":0,"s":SEQ,"t":"EVENT","d":DATA}`
    static func dispatch(seq: Int64, event: String, data: ByteBuffer, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: data.readableBytes + event.utf8.count + 40)
        buffer.writeStaticString(#"{"op":0,"s":"#)
        writeDecimal(seq, into: &buffer)
        buffer.writeStaticString(#","t":""#)
        buffer.writeString(event)
        buffer.writeStaticString(#"","d":"#)
        buffer.writeImmutableBuffer(data)
        buffer.writeStaticString("}")
    }

    /// Writes a non-negative integer's decimal digits without making a String.
    static func writeDecimal(_ value: Int64, into buffer: inout ByteBuffer) {
        guard value > 0 else {
            buffer.writeStaticString("0")
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digits of scratch space
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            while rest > 0 {
                scratch[23 - count] = UInt8(truncatingIfNeeded: rest % 10) + UInt8(ascii: "0")
                rest /= 10
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[(24 - count)...]))
        }
    }

    /// A non-dispatch frame: `{"op":OP,"d":DATA,"s":null,"t":null}` where `data` is JSON text.
    static func command(op: GatewayOpcode, data: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"op":"#)
        buffer.writeString(String(op.rawValue))
        buffer.writeStaticString(#","d":"#)
        buffer.writeString(data)
        buffer.writeStaticString(#","s":null,"t":null}"#)
    }
}

/// A dispatch's `d` as JSON bytes, with the parsed value when the caller had it (or once it was
/// needed for intent checks and content stripping).
public struct DispatchPayload: Sendable {
    /// The JSON text of `d`.
    public let bytes: ByteBuffer
    /// The parsed value, when known.
    public let value: JSONValue?

    /// A payload from a JSON value (encoded once, here).
    public init(_ value: JSONValue) {
        self.value = value
        self.bytes = ByteBuffer(bytes: value.jsonBytes)
    }

    /// A payload from JSON text that is sent as is (parsed only if intent filtering needs it).
    public init(jsonBytes: ByteBuffer) {
        self.bytes = jsonBytes
        self.value = nil
    }

    init(bytes: ByteBuffer, value: JSONValue?) {
        self.bytes = bytes
        self.value = value
    }

    /// The parsed value (parses the bytes when it was not given).
    func parsed() -> JSONValue? {
        if let value { return value }
        return try? JSONValue(parsing: bytes.readableBytesView)
    }
}
