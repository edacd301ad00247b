/// The transport compression a client asks for with the gateway URL's `compress` query parameter.
public enum TransportCompression: String, Sendable, CaseIterable {
    /// `compress=zlib-stream`: one zlib context per connection, each message ending in `00 00 ff ff`.
    case zlibStream = "zlib-stream"
    /// `compress=zstd-stream`: one never-ended zstd frame per connection, flushed after each message.
    case zstdStream = "zstd-stream"

    /// Whether this compression can be used in this process: always for zlib-stream (linked), and for
    /// zstd-stream when libzstd.so.1 can be loaded (checked once, on first use).
    public var isAvailable: Bool {
        switch self {
        case .zlibStream: true
        case .zstdStream: (try? ZstdLibrary.get()) != nil
        }
    }
}

/// Compresses the gateway messages of one connection with the transport compression it asked for.
///
/// Each call compresses one complete gateway message; the result is sent as one binary WebSocket message.
/// The context is carried from message to message, so messages must be compressed in the order they are
/// sent, and every compressed message must be sent.
///
/// Not thread-safe and not `Sendable`: one instance belongs to one connection and is used from one thread
/// (or one serial executor) at a time. It can still be handed over whole (`sending`) to that owner.
public final class MessageCompressor {
    private enum Backend {
        case zlib(ZlibStreamCompressor)
        case zstd(ZstdStreamCompressor)
    }

    private let backend: Backend

    /// The transport compression this compressor produces.
    public let compression: TransportCompression

    /// Creates the compression context for one connection.
    /// - Throws: `CompressionError`, e.g. kind `.libraryUnavailable` for zstd-stream without libzstd.so.1.
    public init(_ compression: TransportCompression) throws {
        self.compression = compression
        switch compression {
        case .zlibStream: backend = .zlib(try ZlibStreamCompressor())
        case .zstdStream: backend = .zstd(try ZstdStreamCompressor())
        }
    }

    /// Compresses one gateway message and passes the compressed bytes to `body`, which should copy them
    /// into the outgoing frame. The buffer is valid only during the call; do not call back into this
    /// compressor from `body`.
    /// - Throws: `CompressionError` (the context is then unusable), or what `body` throws.
    public func compress<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch backend {
        case .zlib(let compressor): try compressor.compress(message, body)
        case .zstd(let compressor): try compressor.compress(message, body)
        }
    }

    /// Compresses one gateway message and appends the compressed bytes to `output`.
    /// - Throws: `CompressionError`; the context is then unusable.
    public func compress(_ message: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        switch backend {
        case .zlib(let compressor): try compressor.compress(message, appendingTo: &output)
        case .zstd(let compressor): try compressor.compress(message, appendingTo: &output)
        }
    }

    /// Compresses one gateway message and returns the compressed bytes (allocates the result).
    /// - Throws: `CompressionError`; the context is then unusable.
    public func compress(_ message: [UInt8]) throws -> [UInt8] {
        try message.withUnsafeBytes { try compress($0) { Array($0) } }
    }
}

/// Decodes the WebSocket messages of one connection that uses transport compression (for tests and proxies).
///
/// Not thread-safe and not `Sendable`: one instance belongs to one connection.
public final class MessageDecompressor {
    private enum Backend {
        case zlib(ZlibStreamDecompressor)
        case zstd(ZstdStreamDecompressor)
    }

    private let backend: Backend

    /// The transport compression this decompressor decodes.
    public let compression: TransportCompression

    /// Creates the decompression context for one connection.
    /// - Throws: `CompressionError`, e.g. kind `.libraryUnavailable` for zstd-stream without libzstd.so.1.
    public init(_ compression: TransportCompression) throws {
        self.compression = compression
        switch compression {
        case .zlibStream: backend = .zlib(try ZlibStreamDecompressor())
        case .zstdStream: backend = .zstd(try ZstdStreamDecompressor())
        }
    }

    /// Feeds one received WebSocket message and passes the decoded gateway message to `body` (valid only
    /// during the call). Returns `nil` without calling `body` when zlib-stream is still waiting for the
    /// `00 00 ff ff` marker (a message split over several WebSocket messages); zstd-stream always decodes.
    /// - Throws: `CompressionError` on corrupt input (the context is then unusable), or what `body` throws.
    public func decompress<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        switch backend {
        case .zlib(let decompressor): try decompressor.decompress(message, body)
        case .zstd(let decompressor): try decompressor.decompress(message, body)
        }
    }

    /// Feeds one received WebSocket message; returns the decoded gateway message, or `nil` while
    /// zlib-stream is still waiting for the `00 00 ff ff` marker.
    /// - Throws: `CompressionError` on corrupt input; the context is then unusable.
    public func decompress(_ message: UnsafeRawBufferPointer) throws -> [UInt8]? {
        try decompress(message) { Array($0) }
    }

    /// Feeds one received WebSocket message; returns the decoded gateway message, or `nil` while
    /// zlib-stream is still waiting for the `00 00 ff ff` marker.
    /// - Throws: `CompressionError` on corrupt input; the context is then unusable.
    public func decompress(_ message: [UInt8]) throws -> [UInt8]? {
        try message.withUnsafeBytes { try decompress($0) }
    }
}
