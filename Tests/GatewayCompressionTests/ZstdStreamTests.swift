import Testing
@testable import GatewayCompression

@Suite("zstd-stream")
struct ZstdStreamTests {
    @Test("several messages round-trip on one context, each decoding alone and in order")
    func roundTrip() throws {
        let messages = Samples.gatewayMessages()
        let compressor = try ZstdStreamCompressor()
        let decompressor = try ZstdStreamDecompressor()
        for message in messages {
            let frame = try compressor.compress(message)
            #expect(byteDifference(try decompressor.decompress(frame), message) == nil)
        }
    }

    @Test("one frame for the connection: only the first message has the zstd magic number")
    func singleFrame() throws {
        let compressor = try ZstdStreamCompressor()
        let frames = try Samples.gatewayMessages().map { try compressor.compress($0) }
        let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        #expect(Array(frames[0].prefix(4)) == magic)
        for frame in frames.dropFirst() {
            #expect(Array(frame.prefix(4)) != magic)
        }
    }

    @Test("the context is carried across messages")
    func contextIsShared() throws {
        let message = Samples.gatewayMessages()[1]
        let compressor = try ZstdStreamCompressor()
        let first = try compressor.compress(message)
        let second = try compressor.compress(message)
        #expect(second.count < first.count / 2, "a repeated message refers back into the shared window")
        let fresh = try ZstdStreamDecompressor()
        #expect(throws: CompressionError.self) { try fresh.decompress(second) }
    }

    @Test("cross-check: the zstd CLI decodes the concatenated stream, message by message")
    func zstdCLICrossCheck() throws {
        try #require(ExternalTool.zstd != nil, "the zstd command-line tool is needed for this cross-check")
        var messages = Samples.gatewayMessages()
        messages.insert(Samples.largeMessage(), at: 4)
        messages.insert(Samples.randomBytes(70_000), at: 6)
        let compressor = try ZstdStreamCompressor()
        let frames = try messages.map { message in
            try message.withUnsafeBytes { bytes in try compressor.compress(bytes) { Array($0) } }
        }
        // The frame header: magic, then the descriptor. Without a content checksum (bit 2) the frame can be
        // closed from outside by appending an empty last raw block, `01 00 00` (what ZSTD_e_end would add).
        #expect(frames[0].count > 4 && frames[0][4] & 0x04 == 0, "no content checksum")
        let endOfFrame: [UInt8] = [0x01, 0x00, 0x00]

        // Every prefix of the WebSocket messages decodes to exactly the matching prefix of gateway
        // messages: each flush delivers its whole message and nothing of the next.
        for count in 1...frames.count {
            let output = try #require(try ExternalTool.zstdCLIDecode(Array(frames.prefix(count)) + [endOfFrame]))
            let expected = messages.prefix(count).flatMap { $0 }
            #expect(output.status == 0, "zstd said: \(output.stderr)")
            #expect(byteDifference(output.stdout, expected) == nil, "first \(count) messages")
        }

        // The raw, never-ended stream: zstd complains about the premature end, and its output is a prefix of
        // the messages (it drops what is still inside its decoder when the input runs out).
        let unterminated = try #require(try ExternalTool.zstdCLIDecode(frames))
        let all = messages.flatMap { $0 }
        #expect(unterminated.stdout.count > 0)
        #expect(byteDifference(unterminated.stdout, Array(all.prefix(unterminated.stdout.count))) == nil)
    }

    @Test("a 100 KB message, then small ones")
    func largeMessage() throws {
        let large = Samples.largeMessage()
        let random = Samples.randomBytes(300_000)
        let small = Samples.gatewayMessages()
        let compressor = try ZstdStreamCompressor()
        let decompressor = try ZstdStreamDecompressor()
        for message in [large, small[0], random, small[1], large, small[2]] {
            let frame = try compressor.compress(message)
            #expect(byteDifference(try decompressor.decompress(frame), message) == nil)
        }
    }

    @Test("garbage input throws, and the context stays unusable afterwards")
    func garbageThrows() throws {
        let decompressor = try ZstdStreamDecompressor()
        let error = #expect(throws: CompressionError.self) { try decompressor.decompress(Samples.randomBytes(200)) }
        #expect(error?.kind == .corruptInput)
        #expect(error?.description.contains("zstd") == true)
        let again = #expect(throws: CompressionError.self) { try decompressor.decompress(Samples.randomBytes(200)) }
        #expect(again?.kind == .unusableContext)

        // A valid first message, then a corrupted one.
        let compressor = try ZstdStreamCompressor()
        let valid = try compressor.compress(Samples.gatewayMessages()[1])
        var corrupted = try compressor.compress(Samples.gatewayMessages()[3])
        for index in corrupted.indices { corrupted[index] ^= 0x5A }
        let second = try ZstdStreamDecompressor()
        #expect(byteDifference(try second.decompress(valid), Samples.gatewayMessages()[1]) == nil)
        #expect(throws: CompressionError.self) { try second.decompress(corrupted) }
    }

    @Test("a missing libzstd gives a clear error")
    func missingLibrary() throws {
        let result = ZstdLibrary.load(candidates: ["libzstd-does-not-exist.so.9"])
        let error = #expect(throws: CompressionError.self) { try result.get() }
        #expect(error?.kind == .libraryUnavailable)
        #expect(error?.description.hasPrefix("zstd-stream needs libzstd.so.1 (apt-get install libzstd1)") == true)
    }
}
