@testable import GatewayServer
import GatewayModel
import NIOCore
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

/// Proxy recordings: interaction tokens in REST paths and multipart bodies as SPEC §7 records them.
struct ForwardedCallRecordingTests {
    @Test(arguments: [
        ("/api/v10/interactions/123/secret/callback?with_response=true", "/api/v10/interactions/123/HASH/callback?with_response=true"),
        ("/api/webhooks/456/secret/messages/@original", "/api/webhooks/456/HASH/messages/@original"),
        ("/api/v10/webhooks/456/secret?wait=true", "/api/v10/webhooks/456/HASH?wait=true"),
        ("/api/v10/channels/1/webhooks", "/api/v10/channels/1/webhooks"),
        ("/api/v10/channels/1/messages", "/api/v10/channels/1/messages"),
    ])
    func interactionTokensInPathsAreRedacted(path: String, expected: String) {
        #expect(Redaction.redactPathTokens(path) == expected.replacingOccurrences(of: "HASH", with: Redaction.redact("secret")))
    }

    @Test func aMultipartBodyIsItsPayloadJSONPlusItsFiles() throws {
        let body = [
            "--XyZ", #"Content-Disposition: form-data; name="payload_json""#, "Content-Type: application/json", "",
            #"{"content":"see file"}"#,
            "--XyZ", #"Content-Disposition: form-data; name="files[0]"; filename="a.txt""#, "Content-Type: text/plain", "",
            "hello",
            "--XyZ--", "",
        ].joined(separator: "\r\n")
        let value = RecordedBody.value(of: ByteBuffer(string: body), contentType: "multipart/form-data; boundary=XyZ")
        #expect(value == ["content": "see file", "files": [["filename": "a.txt", "content_type": "text/plain", "size": 5]]])
        #expect(RecordedBody.value(of: ByteBuffer(string: #"{"a":1}"#), contentType: "application/json") == ["a": 1])
        #expect(RecordedBody.value(of: ByteBuffer(), contentType: nil) == .null)
        #expect(RecordedBody.value(of: ByteBuffer(string: "<html>"), contentType: "text/html") == "<html>")
    }
}
