import Testing
import GatewayCompression

@Suite("MessageCompressor / MessageDecompressor")
struct MessageCompressionTests {
    @Test("query parameter values")
    func rawValues() {
        #expect(TransportCompression(rawValue: "zlib-stream") == .zlibStream)
        #expect(TransportCompression(rawValue: "zstd-stream") == .zstdStream)
        #expect(TransportCompression(rawValue: "zlib") == nil)
        #expect(TransportCompression.zlibStream.isAvailable)
        #expect(TransportCompression.zstdStream.isAvailable, "libzstd.so.1 is installed on the test machines")
    }

    @Test("round trip through the front door", arguments: TransportCompression.allCases)
    func roundTrip(compression: TransportCompression) throws {
        let compressor = try MessageCompressor(compression)
        let decompressor = try MessageDecompressor(compression)
        #expect(compressor.compression == compression)
        #expect(decompressor.compression == compression)
        for message in Samples.gatewayMessages() + [Samples.largeMessage()] {
            // Closure variant: the bytes are copied out inside the closure.
            let frame = try message.withUnsafeBytes { try compressor.compress($0) { Array($0) } }
            let decoded = try frame.withUnsafeBytes { try decompressor.decompress($0) { Array($0) } }
            #expect(byteDifference(decoded, message) == nil)
        }
    }

    @Test("appendingTo keeps what is already in the output", arguments: TransportCompression.allCases)
    func appending(compression: TransportCompression) throws {
        let compressor = try MessageCompressor(compression)
        let decompressor = try MessageDecompressor(compression)
        let message = Samples.gatewayMessages()[1]
        var output: [UInt8] = [1, 2, 3]
        try message.withUnsafeBytes { try compressor.compress($0, appendingTo: &output) }
        #expect(Array(output.prefix(3)) == [1, 2, 3])
        #expect(byteDifference(try decompressor.decompress(Array(output.dropFirst(3))), message) == nil)
        #expect(try compressor.compress(message).count < output.count - 3)
    }

    @Test("garbage throws CompressionError", arguments: TransportCompression.allCases)
    func garbage(compression: TransportCompression) throws {
        let decompressor = try MessageDecompressor(compression)
        let garbage: [UInt8] = Array("this is not compressed at all".utf8) + [0x00, 0x00, 0xFF, 0xFF]
        #expect(throws: CompressionError.self) { try decompressor.decompress(garbage) }
    }
}
