/// The server side of Discord's `compress=zstd-stream`: one zstd frame for the whole connection.
///
/// The frame is never ended. Each call to `compress` feeds one gateway message and flushes
/// (`ZSTD_e_flush`), so every WebSocket message carries exactly the blocks that decode to that one
/// gateway message, and a client with one decompression context for the connection decodes each
/// WebSocket message on its own, in order. The compressed bytes are produced in a scratch buffer
/// owned by the compressor and reused for every message.
///
/// libzstd is loaded at run time (`dlopen("libzstd.so.1")`), so building needs no zstd headers;
/// creating a compressor throws if the library is missing.
///
/// Not thread-safe and not `Sendable`: one instance belongs to one connection.
public final class ZstdStreamCompressor {
    private let library: ZstdLibrary
    private let context: OpaquePointer
    private var scratch: ScratchBuffer
    private var failed = false

    /// zstd's default compression level (`ZSTD_CLEVEL_DEFAULT`).
    public static let defaultLevel: Int32 = 3

    /// Creates a compression context.
    ///
    /// - Parameter level: zstd compression level (1 … 19, negative for faster; default 3).
    /// - Throws: `CompressionError` with kind `.libraryUnavailable` ("zstd-stream needs libzstd.so.1
    ///   (apt-get install libzstd1)") when libzstd cannot be loaded, or when zstd rejects the level.
    public init(level: Int32 = ZstdStreamCompressor.defaultLevel) throws {
        let library = try ZstdLibrary.get()
        guard let context = library.createCCtx() else {
            throw CompressionError(.libraryFailure, "ZSTD_createCCtx failed")
        }
        let code = library.cctxSetParameter(context, ZSTDCParameter.compressionLevel, level)
        if library.isError(code) {
            _ = library.freeCCtx(context)
            throw CompressionError(.libraryFailure, "zstd compression level \(level): \(library.errorName(code))")
        }
        self.library = library
        self.context = context
        self.scratch = ScratchBuffer(initialCapacity: 16 * 1024)
    }

    deinit {
        _ = library.freeCCtx(context)
    }

    /// Compresses one gateway message, flushes, and passes the compressed bytes to `body`.
    ///
    /// The buffer given to `body` is the compressor's scratch buffer: it is valid only during the call and
    /// is overwritten by the next `compress`. Do not call back into this compressor from `body`.
    ///
    /// - Throws: `CompressionError` if zstd fails (the context is then unusable), or what `body` throws.
    public func compress<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try compressMessage(message)
        return try body(scratch.bytes)
    }

    /// Compresses one gateway message, flushes, and appends the compressed bytes to `output`.
    /// - Throws: `CompressionError` if zstd fails; the context is then unusable.
    public func compress(_ message: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        try compressMessage(message)
        output.append(contentsOf: scratch.bytes)
    }

    /// Compresses one gateway message, flushes, and returns the compressed bytes.
    ///
    /// Allocates the returned array; prefer the closure or `appendingTo:` variants on hot paths.
    /// - Throws: `CompressionError` if zstd fails; the context is then unusable.
    public func compress(_ message: [UInt8]) throws -> [UInt8] {
        try message.withUnsafeBytes { try compress($0) { Array($0) } }
    }

    private func compressMessage(_ message: UnsafeRawBufferPointer) throws {
        guard !failed else {
            throw CompressionError(.unusableContext, "zstd-stream compressor is unusable after an earlier failure")
        }
        scratch.reset()
        var input = ZSTDInBuffer(src: message.baseAddress, size: message.count, pos: 0)
        // Roughly ZSTD_COMPRESSBOUND plus a frame header: usually one call suffices.
        var wanted = message.count + (message.count >> 7) + 64
        while true {
            scratch.reserveFree(wanted)
            var output = ZSTDOutBuffer(dst: scratch.base, size: scratch.capacity, pos: scratch.count)
            let remaining = library.compressStream2(context, &output, &input, ZSTDEndDirective.flush)
            scratch.count = output.pos
            if library.isError(remaining) {
                failed = true
                throw CompressionError(.libraryFailure, "ZSTD_compressStream2 failed: \(library.errorName(remaining))")
            }
            if remaining == 0 && input.pos == input.size { return }
            // `remaining` is a lower bound of what is still to be flushed.
            wanted = max(remaining, 4096)
        }
    }
}

/// The client side of `compress=zstd-stream`: one zstd decompression context for the whole connection.
///
/// Each received WebSocket message is decoded on its own and yields exactly one gateway message.
/// Used by tests and proxies. libzstd is loaded at run time, as for `ZstdStreamCompressor`.
///
/// Not thread-safe and not `Sendable`: one instance belongs to one connection.
public final class ZstdStreamDecompressor {
    private let library: ZstdLibrary
    private let context: OpaquePointer
    private var scratch: ScratchBuffer
    private var unusable: String?

    /// Creates a decompression context.
    /// - Throws: `CompressionError` with kind `.libraryUnavailable` when libzstd cannot be loaded.
    public init() throws {
        let library = try ZstdLibrary.get()
        guard let context = library.createDCtx() else {
            throw CompressionError(.libraryFailure, "ZSTD_createDCtx failed")
        }
        self.library = library
        self.context = context
        self.scratch = ScratchBuffer(initialCapacity: 16 * 1024)
    }

    deinit {
        _ = library.freeDCtx(context)
    }

    /// Decodes one received WebSocket message and passes the gateway message to `body` (valid only during
    /// the call).
    /// - Throws: `CompressionError` on corrupt input (the context is then unusable), or what `body` throws.
    public func decompress<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try decompressMessage(message)
        return try body(scratch.bytes)
    }

    /// Decodes one received WebSocket message and returns the gateway message.
    /// - Throws: `CompressionError` on corrupt input; the context is then unusable.
    public func decompress(_ message: UnsafeRawBufferPointer) throws -> [UInt8] {
        try decompress(message) { Array($0) }
    }

    /// Decodes one received WebSocket message and returns the gateway message.
    /// - Throws: `CompressionError` on corrupt input; the context is then unusable.
    public func decompress(_ message: [UInt8]) throws -> [UInt8] {
        try message.withUnsafeBytes { try decompress($0) }
    }

    private func decompressMessage(_ message: UnsafeRawBufferPointer) throws {
        if let unusable { throw CompressionError(.unusableContext, unusable) }
        scratch.reset()
        var input = ZSTDInBuffer(src: message.baseAddress, size: message.count, pos: 0)
        var wanted = max(4096, message.count * 4)
        while true {
            scratch.reserveFree(wanted)
            var output = ZSTDOutBuffer(dst: scratch.base, size: scratch.capacity, pos: scratch.count)
            let inputBefore = input.pos
            let outputBefore = output.pos
            let code = library.decompressStream(context, &output, &input)
            scratch.count = output.pos
            if library.isError(code) {
                let error = CompressionError(.corruptInput, "zstd-stream: corrupt input: \(library.errorName(code))")
                unusable = "zstd-stream decompressor is unusable after an earlier failure: \(error.description)"
                throw error
            }
            if output.pos == output.size {
                // Output full: zstd may hold more decoded bytes; grow and call again.
                wanted = scratch.capacity
                continue
            }
            if input.pos == input.size { return }
            if input.pos == inputBefore && output.pos == outputBefore {
                let error = CompressionError(.corruptInput, "zstd-stream: decoder made no progress")
                unusable = "zstd-stream decompressor is unusable after an earlier failure: \(error.description)"
                throw error
            }
        }
    }
}
