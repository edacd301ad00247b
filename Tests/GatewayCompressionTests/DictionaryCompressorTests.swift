import Foundation
import Testing
@testable import GatewayCompression

@Suite("dictionary deflate")
struct DictionaryCompressorTests {
    static let message = Array(
        #"{"author":{"id":"1000000000000000001","username":"mockbot"},"channel_id":"1100000000000000101","content":"hi","#
            .utf8) + Array(#""embeds":[],"id":"1578071845725274112","pinned":false,"timestamp":"2026-12-03T15:34:07.178000+00:00"}"#.utf8)

    func roundTrip(_ compressor: DictionaryCompressor, _ text: [UInt8]) throws -> [UInt8] {
        let compressed = try #require(text.withUnsafeBytes { compressor.compress($0) })
        let back = try #require(compressed.withUnsafeBytes { compressor.decompress($0, count: text.count) })
        #expect(back == text)
        return compressed
    }

    @Test("texts come back byte for byte: empty, short, a message, incompressible and repetitive megabytes")
    func texts() throws {
        let compressor = DictionaryCompressor(dictionary: Self.message)
        var random = SystemRandomNumberGenerator()
        for text in [
            [], Array("x".utf8), Self.message, Array("héllo 👍 \u{0}".utf8),
            (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &random) },
            Array(repeating: Self.message, count: 2_000).flatMap { $0 },
        ] {
            _ = try roundTrip(compressor, text)
        }
    }

    @Test("a text like the dictionary shrinks far below plain deflate")
    func dictionaryHelps() throws {
        var other = Self.message
        other.replaceSubrange(other.firstRange(of: Array("mockbot".utf8))!, with: Array("otherbot".utf8))
        let withDictionary = try roundTrip(DictionaryCompressor(dictionary: Self.message), other)
        let without = try roundTrip(DictionaryCompressor(dictionary: []), other)
        #expect(withDictionary.count * 3 < without.count, "\(withDictionary.count) bytes with the dictionary, \(without.count) without")
    }

    @Test("corrupt or truncated input, or the wrong length, gives nil")
    func badInput() throws {
        let compressor = DictionaryCompressor(dictionary: Self.message)
        let compressed = try roundTrip(compressor, Self.message + Self.message.reversed())
        let count = Self.message.count * 2
        #expect(compressed.dropLast(3).withUnsafeBytes { compressor.decompress($0, count: count) } == nil)
        #expect(compressed.withUnsafeBytes { compressor.decompress($0, count: count - 1) } == nil)
        #expect(compressed.withUnsafeBytes { compressor.decompress($0, count: count + 1) } == nil)
        #expect([0xFF, 0xFF, 0xFF].withUnsafeBytes { compressor.decompress($0, count: 10) } == nil)
        // A different dictionary does not read it back.
        #expect(compressed.withUnsafeBytes { DictionaryCompressor(dictionary: Array("other".utf8)).decompress($0, count: count) } != Self.message + Self.message.reversed())
        // The contexts are still usable after the failures.
        _ = try roundTrip(compressor, Self.message)
    }

    @Test("many tasks at once share one compressor")
    func concurrent() async throws {
        let compressor = DictionaryCompressor(dictionary: Self.message)
        let ok = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    (0..<500).allSatisfy { index in
                        let text = Array("\(task)-\(index)".utf8) + Self.message
                        let compressed = text.withUnsafeBytes { compressor.compress($0) }
                        return compressed?.withUnsafeBytes { compressor.decompress($0, count: text.count) } == text
                    }
                }
            }
            return await group.allSatisfy { $0 }
        }
        #expect(ok)
    }
}
