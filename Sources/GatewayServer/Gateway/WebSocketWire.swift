import NIOCore

/// Server → client WebSocket framing (RFC 6455 §5.2, unmasked, never fragmented), written straight
/// into a connection's batch buffer: a batch of frames is one allocation and one write.
enum WebSocketWire {
    enum Opcode: UInt8 {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case pong = 0xA
    }

    /// Writes the header of a final frame with a payload of `length` bytes.
    static func writeHeader(_ opcode: Opcode, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode.rawValue)
        switch length {
        case ..<126:
            buffer.writeInteger(UInt8(length))
        case ...0xFFFF:
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    /// Writes a whole frame.
    static func writeFrame(_ opcode: Opcode, payload: ByteBuffer, into buffer: inout ByteBuffer) {
        writeHeader(opcode, length: payload.readableBytes, into: &buffer)
        buffer.writeImmutableBuffer(payload)
    }

    /// Writes a whole frame from raw bytes.
    static func writeFrame(_ opcode: Opcode, payload: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        writeHeader(opcode, length: payload.count, into: &buffer)
        buffer.writeBytes(payload)
    }
}
