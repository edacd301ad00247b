/// An error from transport compression or decompression.
///
/// Every failure in this module is reported as a `CompressionError`: bad input never crashes,
/// it throws. After a decompressor has thrown because of corrupt input its context is unusable
/// (the stream state is lost), and every later call throws again.
public struct CompressionError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The broad class of a failure.
    public enum Kind: Sendable, Hashable {
        /// A compression library could not be loaded (zstd-stream without libzstd.so.1).
        case libraryUnavailable
        /// The input is not a valid stream (garbage, truncated or corrupt data, data after the end).
        case corruptInput
        /// The context was used after an earlier failure or after its stream ended.
        case unusableContext
        /// zlib or zstd reported an internal failure (out of memory, version mismatch, …).
        case libraryFailure
    }

    /// The broad class of the failure.
    public let kind: Kind

    /// A human-readable explanation, including the library's own message when there is one.
    public let description: String

    /// Creates an error of the given kind with a human-readable description.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
