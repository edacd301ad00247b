import CZlib

/// The 4-byte `Z_SYNC_FLUSH` marker that ends every zlib-stream gateway message.
let zlibSyncFlushSuffix: (UInt8, UInt8, UInt8, UInt8) = (0x00, 0x00, 0xFF, 0xFF)

/// An empty, non-final stored deflate block, valid on a byte boundary (which the stream is on after every
/// sync flush). Emitted for an empty message, for which zlib itself produces no output.
private let emptyStoredBlock: [UInt8] = [0x00, 0x00, 0x00, 0xFF, 0xFF]

extension UnsafeRawBufferPointer {
    /// Whether the bytes end with `00 00 ff ff`.
    var endsWithSyncFlushSuffix: Bool {
        count >= 4 && self[count - 4] == 0x00 && self[count - 3] == 0x00
            && self[count - 2] == 0xFF && self[count - 1] == 0xFF
    }
}

/// Describes a zlib return code, with the stream's `msg` when zlib set one.
private func zlibFailure(_ kind: CompressionError.Kind, _ what: String, _ code: Int32, _ stream: UnsafeMutablePointer<z_stream>) -> CompressionError {
    let name: String
    switch code {
    case Z_STREAM_ERROR: name = "Z_STREAM_ERROR"
    case Z_DATA_ERROR: name = "Z_DATA_ERROR"
    case Z_MEM_ERROR: name = "Z_MEM_ERROR"
    case Z_BUF_ERROR: name = "Z_BUF_ERROR"
    case Z_VERSION_ERROR: name = "Z_VERSION_ERROR"
    case Z_NEED_DICT: name = "Z_NEED_DICT"
    default: name = "code \(code)"
    }
    if let message = stream.pointee.msg {
        return CompressionError(kind, "\(what): \(String(cString: message)) (\(name))")
    }
    return CompressionError(kind, "\(what): \(name)")
}

/// Points zlib's input at `bytes` (zlib's `next_in` is not const in this build of zlib.h, but it never writes).
private func setInput(_ stream: UnsafeMutablePointer<z_stream>, _ bytes: UnsafeRawBufferPointer) {
    stream.pointee.next_in = bytes.baseAddress.map {
        UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
    }
    stream.pointee.avail_in = uInt(bytes.count)
}

/// The server side of Discord's `compress=zlib-stream`: one deflate context for the whole connection.
///
/// The output is a zlib stream (2-byte zlib header `78 xx`, window bits 15), exactly what
/// `zlib.decompressobj()` expects. Each call to `compress` deflates one gateway message and ends it with
/// `Z_SYNC_FLUSH`, so its output ends in `00 00 ff ff` and is sent as one binary WebSocket message.
/// The stream is never finished. The compressed bytes are produced in a scratch buffer owned by the
/// compressor and reused for every message.
///
/// Not thread-safe: one instance belongs to one connection and is used from one thread (or one
/// serial executor) at a time. Not `Sendable` for that reason.
public final class ZlibStreamCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch: ScratchBuffer
    private var failed = false

    /// Creates a deflate context.
    ///
    /// - Parameter level: zlib compression level, 0 (store) … 9 (best); `-1` is zlib's default (6).
    /// - Throws: `CompressionError` when zlib cannot initialise (bad level, out of memory).
    public init(level: Int32 = -1) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = deflateInit2_(stream, level, Z_DEFLATED, MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else {
            let error = zlibFailure(.libraryFailure, "deflateInit2 failed", code, stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
        scratch = ScratchBuffer(initialCapacity: 16 * 1024)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses one gateway message and passes the compressed bytes (ending in `00 00 ff ff`) to `body`.
    ///
    /// The buffer given to `body` is the compressor's scratch buffer: it is valid only during the call and
    /// is overwritten by the next `compress`. Copy it into your own buffer (e.g. a WebSocket frame) there.
    /// Do not call back into this compressor from `body`.
    ///
    /// - Parameters:
    ///   - message: One complete gateway message (usually JSON text).
    ///   - body: Receives the compressed message; its result is returned.
    /// - Throws: `CompressionError` if zlib fails (the context is then unusable), or what `body` throws.
    public func compress<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try deflateMessage(message)
        return try body(scratch.bytes)
    }

    /// Compresses one gateway message and appends the compressed bytes (ending in `00 00 ff ff`) to `output`.
    ///
    /// - Throws: `CompressionError` if zlib fails; the context is then unusable.
    public func compress(_ message: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        try deflateMessage(message)
        output.append(contentsOf: scratch.bytes)
    }

    /// Compresses one gateway message and returns the compressed bytes (ending in `00 00 ff ff`).
    ///
    /// Allocates the returned array; prefer the closure or `appendingTo:` variants on hot paths.
    /// - Throws: `CompressionError` if zlib fails; the context is then unusable.
    public func compress(_ message: [UInt8]) throws -> [UInt8] {
        try message.withUnsafeBytes { try compress($0) { Array($0) } }
    }

    /// Deflates `message` with `Z_SYNC_FLUSH` into `scratch`.
    private func deflateMessage(_ message: UnsafeRawBufferPointer) throws {
        guard !failed else {
            throw CompressionError(.unusableContext, "zlib-stream compressor is unusable after an earlier failure")
        }
        guard message.count <= Int(UInt32.max) else {
            throw CompressionError(.libraryFailure, "zlib-stream message of \(message.count) bytes is too large")
        }
        scratch.reset()
        setInput(stream, message)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        // Roughly deflateBound(): enough for one call even for incompressible input.
        var wanted = message.count + (message.count >> 12) + (message.count >> 14) + 64
        while true {
            scratch.reserveFree(wanted)
            let free = scratch.freeCount
            stream.pointee.next_out = (scratch.base + scratch.count).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(min(free, Int(UInt32.max)))
            let availableOut = Int(stream.pointee.avail_out)
            let code = deflate(stream, Z_SYNC_FLUSH)
            scratch.count += availableOut - Int(stream.pointee.avail_out)
            switch code {
            case Z_OK where stream.pointee.avail_out == 0:
                // Output full: more may be pending, call again with more room.
                wanted = max(wanted, 4096)
                continue
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR: no progress possible, i.e. nothing new to flush (an empty message).
                guard stream.pointee.avail_in == 0 else {
                    failed = true
                    throw CompressionError(.libraryFailure, "deflate stopped with \(stream.pointee.avail_in) input bytes left")
                }
            default:
                failed = true
                throw zlibFailure(.libraryFailure, "deflate failed", code, stream)
            }
            break
        }
        if !scratch.bytes.endsWithSyncFlushSuffix {
            // Only an empty message right after another flush leaves zlib with nothing to emit; give the
            // client a decodable empty message anyway. The stream is byte-aligned after every sync flush.
            guard message.isEmpty, scratch.count == 0 else {
                failed = true
                throw CompressionError(.libraryFailure, "deflate output does not end with the 00 00 ff ff sync-flush marker")
            }
            scratch.reserveFree(emptyStoredBlock.count)
            emptyStoredBlock.withUnsafeBytes { scratch.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            scratch.count = emptyStoredBlock.count
        }
    }
}

/// The client side of `compress=zlib-stream`: one inflate context for the whole connection.
///
/// Like Discord clients, it buffers received WebSocket messages until the buffered data ends with the
/// `00 00 ff ff` sync-flush marker, then inflates everything buffered as one gateway message.
/// Used by tests and proxies.
///
/// Not thread-safe and not `Sendable`: one instance belongs to one connection.
public final class ZlibStreamDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch: ScratchBuffer
    private var pending: [UInt8] = []
    private var unusable: String?

    /// Creates an inflate context expecting a zlib header (window bits 15).
    /// - Throws: `CompressionError` when zlib cannot initialise.
    public init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = inflateInit2_(stream, MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else {
            let error = zlibFailure(.libraryFailure, "inflateInit2 failed", code, stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
        scratch = ScratchBuffer(initialCapacity: 16 * 1024)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The number of received bytes buffered while waiting for the `00 00 ff ff` marker.
    public var bufferedByteCount: Int { pending.count }

    /// Feeds one received WebSocket message. When the buffered input now ends with `00 00 ff ff`, inflates
    /// it and passes the decoded gateway message to `body` (valid only during the call); otherwise buffers
    /// it and returns `nil` without calling `body`.
    ///
    /// - Throws: `CompressionError` on corrupt input (the context is then unusable), or what `body` throws.
    public func decompress<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        if let unusable { throw CompressionError(.unusableContext, unusable) }
        if pending.isEmpty, message.endsWithSyncFlushSuffix {
            try inflateMessage(message)
        } else {
            pending.append(contentsOf: message)
            guard pending.withUnsafeBytes({ $0.endsWithSyncFlushSuffix }) else { return nil }
            // Move the buffered input out of the property while inflating (no access to `pending` stays open).
            var input: [UInt8] = []
            swap(&input, &pending)
            try input.withUnsafeBytes { try inflateMessage($0) }
            if input.capacity <= ScratchBuffer.retainedCapacityLimit {
                input.removeAll(keepingCapacity: true)
                pending = input
            }
        }
        return try body(scratch.bytes)
    }

    /// Feeds one received WebSocket message; returns the decoded gateway message once the buffered input
    /// ends with `00 00 ff ff`, or `nil` while still buffering.
    /// - Throws: `CompressionError` on corrupt input; the context is then unusable.
    public func decompress(_ message: UnsafeRawBufferPointer) throws -> [UInt8]? {
        try decompress(message) { Array($0) }
    }

    /// Feeds one received WebSocket message; returns the decoded gateway message once the buffered input
    /// ends with `00 00 ff ff`, or `nil` while still buffering.
    /// - Throws: `CompressionError` on corrupt input; the context is then unusable.
    public func decompress(_ message: [UInt8]) throws -> [UInt8]? {
        try message.withUnsafeBytes { try decompress($0) }
    }

    /// Inflates all of `input` into `scratch`.
    private func inflateMessage(_ input: UnsafeRawBufferPointer) throws {
        guard input.count <= Int(UInt32.max) else {
            throw fail(CompressionError(.corruptInput, "zlib-stream message of \(input.count) bytes is too large"))
        }
        scratch.reset()
        setInput(stream, input)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        var wanted = max(4096, input.count * 4)
        while true {
            scratch.reserveFree(wanted)
            stream.pointee.next_out = (scratch.base + scratch.count).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(min(scratch.freeCount, Int(UInt32.max)))
            let availableOut = Int(stream.pointee.avail_out)
            let code = inflate(stream, Z_SYNC_FLUSH)
            scratch.count += availableOut - Int(stream.pointee.avail_out)
            switch code {
            case Z_OK, Z_BUF_ERROR:
                if stream.pointee.avail_out == 0 {
                    // Output full: there may be more, grow and go on.
                    wanted = scratch.capacity
                    continue
                }
                if stream.pointee.avail_in == 0 { return }
                if code == Z_BUF_ERROR {
                    throw fail(zlibFailure(.corruptInput, "inflate made no progress", code, stream))
                }
            case Z_STREAM_END:
                // A zlib-stream is never finished by the server; accept the end once, reject anything after.
                guard stream.pointee.avail_in == 0 else {
                    throw fail(CompressionError(.corruptInput, "zlib-stream: \(stream.pointee.avail_in) bytes after the end of the zlib stream"))
                }
                unusable = "zlib-stream: the zlib stream has ended"
                return
            case Z_DATA_ERROR, Z_NEED_DICT:
                throw fail(zlibFailure(.corruptInput, "zlib-stream: corrupt input", code, stream))
            default:
                throw fail(zlibFailure(.libraryFailure, "inflate failed", code, stream))
            }
        }
    }

    private func fail(_ error: CompressionError) -> CompressionError {
        unusable = "zlib-stream decompressor is unusable after an earlier failure: \(error.description)"
        return error
    }
}
