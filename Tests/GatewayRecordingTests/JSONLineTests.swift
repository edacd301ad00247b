import Foundation
import Testing

@testable import GatewayRecording

@Suite("JSONLine")
struct JSONLineTests {
    @Test("every string survives an escape and decode, byte for byte")
    func escaping() throws {
        var samples = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        samples += ["\"", "\\", "\\\"", "\\u0000", "😀", "漢字", "e\u{301}", "\u{2028}\u{2029}", "\u{FEFF}", "\u{10FFFF}", ""]
        samples.append(samples.joined())
        for sample in samples {
            var line = JSONLine()
            line.add("s", sample)
            let encoded = line.finish()
            #expect(encoded.last == 0x0A)
            #expect(!encoded.dropLast().contains(0x0A))
            struct Box: Decodable { var s: String }
            let decoded = try JSONDecoder().decode(Box.self, from: Data(encoded))
            #expect(Array(decoded.s.utf8) == Array(sample.utf8))
        }
    }

    @Test("exact escapes")
    func exactEscapes() {
        var line = JSONLine()
        line.add("a", "\"\\\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}/é")
        line.add("n", nil as String?)
        line.add("i", Int64.min)
        line.add("d", 1.5, decimals: 3)
        line.add("j", json: Array(#"{"z":1,"a":[12345678901234567890]}"#.utf8))
        line.add("k", json: Array("not json".utf8))
        line.add("m", json: Array("{\n\"a\" : 1\r\n}".utf8))
        #expect(String(decoding: line.finish(), as: UTF8.self)
            == #"{"a":"\"\\\n\r\t\b\f\u0000\u001f"# + "\u{7f}/é" + #"","n":null,"i":-9223372036854775808,"d":1.500,"j":{"z":1,"a":[12345678901234567890]},"k":"not json","m":{ "a" : 1  }}"# + "\n")
    }

    @Test("fixed-point numbers", arguments: [
        (0.0, 3, "0.000"), (1.5, 1, "1.5"), (-0.0004, 3, "0.000"), (-2.25, 1, "-2.3"), (12345.6789, 2, "12345.68"), (7, 0, "7"),
    ])
    func fixed(value: Double, decimals: Int, expected: String) {
        #expect(JSONLine.fixed(value, decimals: decimals) == expected)
    }

    @Test("UTF-8 validation")
    func utf8() {
        #expect(JSONLine.isValidUTF8(Array("ok 😀".utf8)))
        #expect(JSONLine.isValidUTF8([]))
        #expect(!JSONLine.isValidUTF8([0xFF]))
        #expect(!JSONLine.isValidUTF8([0xED, 0xA0, 0x80]))  // an encoded surrogate
        #expect(!JSONLine.isValidUTF8([0xE6, 0xBC]))  // truncated
    }
}
