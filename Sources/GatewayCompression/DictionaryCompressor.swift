import CZlib
import Synchronization

/// Raw deflate with a preset dictionary, for many small texts that look alike and are kept for long
/// (the REST calls in a session's actions log): with the actions log's dictionary a 509-byte message
/// answer shrinks to 61 bytes (one by another bot, with other content, to about 150), where deflate
/// without a dictionary gets about 300. Each text is compressed on its own, so any one can be read
/// back without the others.
///
/// Thread-safe: callers take a deflate/inflate pair from a pool and put it back, so concurrent
/// callers never wait on each other's compression. A 2 KiB window and a small hash table keep each
/// pair small (by zlib's formula 10 KiB of deflate buffers and a 2 KiB inflate window, plus the two
/// states).
public final class DictionaryCompressor: Sendable {
    /// Deflate's window (2^11 bytes): the dictionary and the recent text must fit in it.
    private static let windowBits: Int32 = 11
    /// The dictionary's bytes used: deflate can refer back at most a window minus its lookahead.
    private static let dictionaryLimit = (1 << Int(windowBits)) - 262
    private let dictionary: [UInt8]
    private let idle = Mutex<[ZlibPair]>([])

    /// - Parameter dictionary: text the compressed texts are likely to repeat, the likeliest last
    ///   (only its last 1,786 bytes are used).
    public init(dictionary: [UInt8]) {
        self.dictionary = Array(dictionary.suffix(Self.dictionaryLimit))
    }

    /// The compressed form of `bytes`, nil if zlib failed (out of memory).
    public func compress(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        withPair { $0.deflate(bytes, dictionary: dictionary) }
    }

    /// The `count` bytes that `compress` made `compressed` from, nil if they are not that.
    public func decompress(_ compressed: UnsafeRawBufferPointer, count: Int) -> [UInt8]? {
        withPair { $0.inflate(compressed, count: count, dictionary: dictionary) }
    }

    private func withPair<T>(_ body: (ZlibPair) -> T?) -> T? {
        let taken = idle.withLock { $0.popLast() }
        guard let pair = taken ?? ZlibPair(windowBits: Self.windowBits) else { return nil }
        defer { idle.withLock { $0.append(pair) } }
        return body(pair)
    }
}

/// One deflate and one inflate context. Used by one caller at a time: `DictionaryCompressor` hands it
/// out of its pool and takes it back (hence the unchecked `Sendable`).
private final class ZlibPair: @unchecked Sendable {
    private let deflater: UnsafeMutablePointer<z_stream>
    private let inflater: UnsafeMutablePointer<z_stream>

    init?(windowBits: Int32) {
        deflater = .allocate(capacity: 1)
        deflater.initialize(to: z_stream())
        inflater = .allocate(capacity: 1)
        inflater.initialize(to: z_stream())
        let size = Int32(MemoryLayout<z_stream>.size)
        // Level 1 and memory level 2: the texts are short, so a deeper search or a bigger hash table
        // gains a few bytes for twice the time.
        let deflated = deflateInit2_(deflater, 1, Z_DEFLATED, -windowBits, 2, Z_DEFAULT_STRATEGY, zlibVersion(), size)
        let inflated = inflateInit2_(inflater, -windowBits, zlibVersion(), size)
        guard deflated == Z_OK, inflated == Z_OK else {
            if deflated == Z_OK { deflateEnd(deflater) }
            if inflated == Z_OK { inflateEnd(inflater) }
            deflater.deallocate()
            inflater.deallocate()
            return nil
        }
    }

    deinit {
        deflateEnd(deflater)
        inflateEnd(inflater)
        deflater.deallocate()
        inflater.deallocate()
    }

    func deflate(_ bytes: UnsafeRawBufferPointer, dictionary: [UInt8]) -> [UInt8]? {
        guard deflateReset(deflater) == Z_OK,
            dictionary.withUnsafeBufferPointer({ deflateSetDictionary(deflater, $0.baseAddress, uInt($0.count)) }) == Z_OK
        else { return nil }
        let bound = Int(deflateBound(deflater, uLong(bytes.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out -> Int? in
            deflater.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
            deflater.pointee.avail_in = uInt(bytes.count)
            deflater.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            deflater.pointee.avail_out = uInt(out.count)
            defer { deflater.pointee.next_in = nil }
            guard CZlib.deflate(deflater, Z_FINISH) == Z_STREAM_END else { return nil }
            return out.count - Int(deflater.pointee.avail_out)
        }
        guard let written else { return nil }
        // A copy of the exact size: the bound is kept for as long as the text is.
        return Array(output[..<written])
    }

    func inflate(_ compressed: UnsafeRawBufferPointer, count: Int, dictionary: [UInt8]) -> [UInt8]? {
        guard inflateReset(inflater) == Z_OK,
            dictionary.withUnsafeBufferPointer({ inflateSetDictionary(inflater, $0.baseAddress, uInt($0.count)) }) == Z_OK
        else { return nil }
        var complete = false
        let output = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            inflater.pointee.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
            inflater.pointee.avail_in = uInt(compressed.count)
            inflater.pointee.next_out = out.baseAddress
            inflater.pointee.avail_out = uInt(count)
            defer { inflater.pointee.next_in = nil }
            complete = CZlib.inflate(inflater, Z_FINISH) == Z_STREAM_END && inflater.pointee.avail_out == 0
                && inflater.pointee.avail_in == 0
            initialized = count - Int(inflater.pointee.avail_out)
        }
        return complete ? output : nil
    }
}
