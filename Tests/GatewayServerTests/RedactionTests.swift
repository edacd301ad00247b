@testable import GatewayServer
import Testing

/// Tokens never reach a recording: every `"token"` string value is replaced, every other byte kept.
struct RedactionTests {
    static let hash = Redaction.redact("secret")

    @Test(arguments: [
        (#"{"op":2,"d":{"token":"secret","intents":1}}"#, #"{"op":2,"d":{"token":"REDACTED","intents":1}}"#),
        (#"{"op":6,"d":{ "token" :  "secret" ,"seq":3}}"#, #"{"op":6,"d":{ "token" :  "REDACTED" ,"seq":3}}"#),
        (#"{"op":2,"d":{"token":"secret""#, #"{"op":2,"d":{"token":"REDACTED""#),  // does not parse: still redacted
        (#"{"a":{"token":"secret"},"b":{"token":"secret"}}"#, #"{"a":{"token":"REDACTED"},"b":{"token":"REDACTED"}}"#),
        (#"{"op":1,"d":5}"#, #"{"op":1,"d":5}"#),
        (#"{"token":5,"x":"token"}"#, #"{"token":5,"x":"token"}"#),
    ])
    func tokenValuesAreReplaced(input: String, expected: String) {
        let output = Redaction.redactTokenFields(in: Array(input.utf8))
        #expect(String(decoding: output, as: UTF8.self) == expected.replacingOccurrences(of: "REDACTED", with: Self.hash))
    }

    @Test func redactionIsStableAndIdempotent() {
        #expect(Self.hash.hasPrefix("redacted:") && Self.hash.count == "redacted:".count + 12)
        let once = Redaction.redactTokenFields(in: Array(#"{"token":"secret"}"#.utf8))
        #expect(Redaction.redactTokenFields(in: once) == once)
    }
}

import Foundation
