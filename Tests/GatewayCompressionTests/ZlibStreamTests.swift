import Testing
@testable import GatewayCompression

@Suite("zlib-stream")
struct ZlibStreamTests {
    @Test("several messages round-trip on one context, each decoding alone and in order")
    func roundTrip() throws {
        let messages = Samples.gatewayMessages()
        let compressor = try ZlibStreamCompressor()
        let decompressor = try ZlibStreamDecompressor()
        for message in messages {
            let frame = try compressor.compress(message)
            let decoded = try decompressor.decompress(frame)
            #expect(byteDifference(decoded, message) == nil)
            #expect(decompressor.bufferedByteCount == 0)
        }
    }

    @Test("every message ends in 00 00 ff ff and the stream starts with a zlib header")
    func suffixAndHeader() throws {
        let compressor = try ZlibStreamCompressor()
        let frames = try Samples.gatewayMessages().map { try compressor.compress($0) }
        let first = try #require(frames.first)
        #expect(first[0] == 0x78, "zlib header CMF: deflate, 32 KiB window")
        #expect((Int(first[0]) << 8 | Int(first[1])) % 31 == 0, "zlib header check bits")
        for frame in frames {
            #expect(Array(frame.suffix(4)) == [0x00, 0x00, 0xFF, 0xFF])
        }
        // Only the first message carries the header.
        #expect(frames.dropFirst().allSatisfy { $0.first != 0x78 || $0.count < 2 || (Int($0[0]) << 8 | Int($0[1])) % 31 != 0 })
    }

    @Test("the context is carried across messages")
    func contextIsShared() throws {
        let message = Samples.gatewayMessages()[1]
        let compressor = try ZlibStreamCompressor()
        let first = try compressor.compress(message)
        let second = try compressor.compress(message)
        #expect(second.count < first.count / 2, "a repeated message refers back into the shared window")
        // A fresh context cannot decode the second message alone (it has no zlib header).
        let fresh = try ZlibStreamDecompressor()
        #expect(throws: CompressionError.self) { try fresh.decompress(second) }
    }

    @Test("cross-check: python3 zlib.decompressobj() decodes every message in order")
    func pythonCrossCheck() throws {
        try #require(ExternalTool.python3 != nil, "python3 is needed for this cross-check")
        var messages = Samples.gatewayMessages()
        messages.insert(Samples.largeMessage(), at: 4)
        messages.insert(Samples.randomBytes(70_000), at: 6)
        messages.insert([], at: 2)
        let compressor = try ZlibStreamCompressor()
        var frames: [[UInt8]] = []
        for message in messages {
            var frame: [UInt8] = []
            try message.withUnsafeBytes { try compressor.compress($0, appendingTo: &frame) }
            frames.append(frame)
        }
        let decoded = try #require(try ExternalTool.pythonZlibStreamDecode(frames))
        #expect(decoded.count == messages.count)
        for (index, message) in messages.enumerated() where index < decoded.count {
            #expect(byteDifference(decoded[index], message) == nil, "message \(index)")
        }
    }

    @Test("a 100 KB message, then small ones: scratch buffers grow and shrink correctly")
    func largeMessage() throws {
        let large = Samples.largeMessage()
        #expect(large.count > 100_000)
        let random = Samples.randomBytes(300_000)
        let small = Samples.gatewayMessages()
        let compressor = try ZlibStreamCompressor()
        let decompressor = try ZlibStreamDecompressor()
        for message in [large, small[0], random, small[1], large, small[2]] {
            let frame = try compressor.compress(message)
            #expect(Array(frame.suffix(4)) == [0x00, 0x00, 0xFF, 0xFF])
            #expect(byteDifference(try decompressor.decompress(frame), message) == nil)
        }
    }

    @Test("an empty message still yields a decodable frame")
    func emptyMessage() throws {
        let compressor = try ZlibStreamCompressor()
        let decompressor = try ZlibStreamDecompressor()
        for message in [[], Samples.gatewayMessages()[0], [], [], Samples.gatewayMessages()[2]] as [[UInt8]] {
            let frame = try compressor.compress(message)
            #expect(Array(frame.suffix(4)) == [0x00, 0x00, 0xFF, 0xFF])
            #expect(byteDifference(try decompressor.decompress(frame), message) == nil)
        }
    }

    @Test("a message split over several WebSocket messages is buffered until the suffix")
    func bufferingUntilSuffix() throws {
        let messages = Samples.gatewayMessages()
        let compressor = try ZlibStreamCompressor()
        let decompressor = try ZlibStreamDecompressor()
        for message in messages {
            let frame = try compressor.compress(message)
            let cut = frame.count / 2
            #expect(try decompressor.decompress(Array(frame[..<cut])) == nil)
            #expect(decompressor.bufferedByteCount == cut)
            #expect(byteDifference(try decompressor.decompress(Array(frame[cut...])), message) == nil)
            #expect(decompressor.bufferedByteCount == 0)
        }
    }

    @Test("garbage input throws, and the context stays unusable afterwards")
    func garbageThrows() throws {
        let decompressor = try ZlibStreamDecompressor()
        let garbage = Samples.randomBytes(200) + [0x00, 0x00, 0xFF, 0xFF]
        #expect(throws: CompressionError.self) { try decompressor.decompress(garbage) }
        let error = #expect(throws: CompressionError.self) { try decompressor.decompress(garbage) }
        #expect(error?.kind == .unusableContext)

        // Valid header, then a corrupted body.
        let compressor = try ZlibStreamCompressor()
        let valid = try compressor.compress(Samples.gatewayMessages()[1])
        var corrupted = try compressor.compress(Samples.gatewayMessages()[3])
        for index in 0..<(corrupted.count - 4) { corrupted[index] ^= 0xA5 }
        let second = try ZlibStreamDecompressor()
        #expect(byteDifference(try second.decompress(valid), Samples.gatewayMessages()[1]) == nil)
        let corruptError = #expect(throws: CompressionError.self) { try second.decompress(corrupted) }
        #expect(corruptError?.kind == .corruptInput)
        #expect(corruptError?.description.isEmpty == false)

        // Garbage without the suffix is only buffered, as clients do; it throws once the suffix arrives.
        let third = try ZlibStreamDecompressor()
        #expect(try third.decompress(Samples.randomBytes(50)) == nil)
        #expect(throws: CompressionError.self) { try third.decompress([0x01, 0x00, 0x00, 0xFF, 0xFF]) }
        #expect(third.bufferedByteCount == 0)

        // A corrupted message split over two WebSocket messages (the buffered path).
        let fourth = try ZlibStreamDecompressor()
        #expect(byteDifference(try fourth.decompress(valid), Samples.gatewayMessages()[1]) == nil)
        #expect(try fourth.decompress(Array(corrupted.prefix(10))) == nil)
        #expect(throws: CompressionError.self) { try fourth.decompress(Array(corrupted.dropFirst(10))) }
    }

    @Test("data after a finished zlib stream throws")
    func dataAfterStreamEnd() throws {
        // A complete zlib stream of "hi" (Z_FINISH) followed by more bytes and a sync-flush suffix.
        let finished: [UInt8] = [0x78, 0x9C, 0xCB, 0xC8, 0x04, 0x00, 0x01, 0x3B, 0x00, 0xD2]
        let decompressor = try ZlibStreamDecompressor()
        #expect(throws: CompressionError.self) { try decompressor.decompress(finished + [0x01, 0x00, 0x00, 0xFF, 0xFF]) }
    }
}
