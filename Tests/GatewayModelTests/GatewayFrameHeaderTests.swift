import GatewayModel
import Testing

struct GatewayFrameHeaderTests {
    @Test(arguments: [
        (#"{"t":"MESSAGE_CREATE","s":42,"op":0,"d":{"content":"}{\"op\":9"}}"#, GatewayFrameHeader(op: 0, seq: 42, event: "MESSAGE_CREATE")),
        (#"{"op":0,"d":{"t":"inner","s":7,"nested":[{"op":1}]},"s":3,"t":"READY"}"#, GatewayFrameHeader(op: 0, seq: 3, event: "READY")),
        (#" { "op" : 11 , "d" : null , "s" : null , "t" : null } "#, GatewayFrameHeader(op: 11, seq: nil, event: nil)),
        (#"{"op":10,"d":{"heartbeat_interval":41250}}"#, GatewayFrameHeader(op: 10, seq: nil, event: nil)),
        (#"{"d":"a string with \"op\":5 inside","op":9}"#, GatewayFrameHeader(op: 9, seq: nil, event: nil)),
        (#"[1,2]"#, GatewayFrameHeader(op: nil, seq: nil, event: nil)),
        (#"{"op":1.5,"s":-1}"#, GatewayFrameHeader(op: nil, seq: -1, event: nil)),
        (#"{"op":0,"s":1,"t":"RE"#, GatewayFrameHeader(op: 0, seq: 1, event: nil)),
    ])
    func readsTheTopLevelEnvelopeOnly(text: String, expected: GatewayFrameHeader) {
        let header = Array(text.utf8).withUnsafeBytes { GatewayFrameHeader(scanning: $0) }
        #expect(header == expected)
    }
}
