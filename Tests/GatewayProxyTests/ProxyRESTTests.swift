import AsyncHTTPClient
import Crypto
import Foundation
import GatewayModel
import GatewayProxy
import GatewayServer
import GatewayTestClient
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// REST through the proxy to a TLS upstream: forwarded as sent, answered as the upstream answered
/// (but for `/gateway` URLs), recorded with real answers and redacted secrets; failures say why.
@Suite(.timeLimit(.minutes(2)))
struct ProxyRESTTests {
    @Test func restFaultsArmedOnTheProxyAnswerInsteadOfTheUpstream() async throws {
        try await ProxyHarness.run { harness in
            let base = "http://127.0.0.1:\(harness.port)/api/v10"
            let auth = [("Authorization", "Bot fault-token"), ("Content-Type", "application/json")]
            _ = try await httpRequest(.GET, base + "/users/@me", headers: auth)
            let session = try #require(harness.proxy.server.sessions().first?.id)
            harness.proxy.server.addRESTFault(session, RESTFault(route: "/channels/{channel.id}/messages", status: 429, retryAfter: 0.25))
            let limited = try await httpRequest(.POST, base + "/channels/1100000000000000101/messages", headers: auth, body: #"{"content":"a"}"#)
            #expect(limited.status == 429)
            #expect(limited.headers.first(name: "X-RateLimit-Reset-After") == "0.250" && limited.headers.first(name: "Via") == "1.1 google")
            let sent = try await httpRequest(.POST, base + "/channels/1100000000000000101/messages", headers: auth, body: #"{"content":"a"}"#)
            #expect(sent.status == 200, "the next call is forwarded")
            try await harness.upstreamSink.wait { $0.calls.contains { $0.method == "POST" } }
            #expect(harness.upstreamSink.calls.filter { $0.method == "POST" }.count == 1, "the faulted call never reached the upstream")
            #expect(harness.sink.calls.filter { $0.method == "POST" }.map(\.status) == [429, 200])
        }
    }

    @Test func callsAreForwardedAndAnsweredWithTheUpstreamsStatusHeadersAndBody() async throws {
        try await ProxyHarness.run { harness in
            let base = "http://127.0.0.1:\(harness.port)/api/v10"

            let gateway = try await httpRequest(.GET, base + "/gateway/bot", headers: [("Authorization", "Bot rest-token")])
            #expect(gateway.status == 200)
            #expect(gateway.headers.first(name: "Content-Type") == "application/json")
            let answer = try JSONValue(parsing: gateway.body)
            #expect(answer["url"]?.stringValue == "ws://127.0.0.1:\(harness.port)")
            #expect(answer["session_start_limit"]?["total"] == 1000)

            // An unknown channel: the upstream's 404 comes back as it was; the upstream got the body and the query.
            let post = try await httpRequest(
                .POST, base + "/channels/1/messages?x=1", headers: [("Authorization", "Bot rest-token"), ("Content-Type", "application/json")],
                body: #"{"content":"hello"}"#)
            #expect(post.status == 404)
            #expect(try JSONValue(parsing: post.body) == ["message": "Unknown Channel", "code": 10003])
            try await harness.upstreamSink.wait { $0.calls.contains { $0.method == "POST" } }
            let upstreamCall = try #require(harness.upstreamSink.calls.last { $0.method == "POST" })
            #expect(upstreamCall.path == "/api/v10/channels/1/messages?x=1")
            let forwarded = try JSONValue(parsing: upstreamCall.request)
            #expect(forwarded["body"] == ["content": "hello"])
            // The bot's Authorization went upstream as sent (both recordings hold the same redaction).
            #expect(forwarded["headers"]?["authorization"]?.stringValue == "Bot " + redacted("rest-token"))

            // The proxy's own recording: real answers and headers, the token redacted, a session made.
            let recorded = try #require(harness.sink.calls.last { $0.method == "POST" })
            #expect(recorded.status == 404)
            #expect(recorded.sessionID == (try harness.proxySession()))
            #expect(try JSONValue(parsing: recorded.response) == ["message": "Unknown Channel", "code": 10003])
            #expect(recorded.route == "POST /channels/{channel.id}/messages")
            let request = try JSONValue(parsing: recorded.request)
            #expect(request["headers"]?["authorization"]?.stringValue == "Bot " + redacted("rest-token"))
            #expect(try JSONValue(parsing: try #require(recorded.responseHeaders))["content-type"] == "application/json")
            #expect(!recorded.request.contains("rest-token"))
        }
    }

    @Test func interactionTokensInPathsAreRedacted() async throws {
        try await ProxyHarness.run { harness in
            _ = try await httpRequest(
                .POST, "http://127.0.0.1:\(harness.port)/api/v10/interactions/123/secret-token/callback", body: #"{"type":1}"#)
            try await harness.sink.wait { !$0.calls.isEmpty }
            let path = try #require(harness.sink.calls.last?.path)
            #expect(!path.contains("secret-token"))
            #expect(path.hasPrefix("/api/v10/interactions/123/redacted:"))
            #expect(path.hasSuffix("/callback"))
        }
    }

    @Test func anUntrustedUpstreamCertificateIsA502ThatSaysSo() async throws {
        try await ProxyHarness.run(trustCA: false) { harness in
            let answer = try await httpRequest(.GET, "http://127.0.0.1:\(harness.port)/api/v10/gateway")
            #expect(answer.status == 502)
            let body = try JSONValue(parsing: answer.body)
            let message = try #require(body["message"]?.stringValue)
            #expect(message.contains("TLS certificate verification failed"))
            #expect(body["upstream"]?.stringValue == "https://127.0.0.1:\(harness.upstreamPort)")
        }
    }

    @Test func dispatchAnswers409InProxyMode() async throws {
        try await ProxyHarness.run { harness in
            _ = try await harness.identify()
            let answer = try await httpRequest(
                .POST, "http://127.0.0.1:\(harness.port)/api/control/sessions/\(try harness.proxySession())/dispatch",
                body: #"{"event":"MESSAGE_CREATE","data":{"id":"1"}}"#)
            #expect(answer.status == 409)
            #expect(try JSONValue(parsing: answer.body)["error"]?.stringValue?.contains("proxy mode") == true)
        }
    }
}

/// `serve` with a certificate: HTTPS and WSS on the same port, URLs that say so.
@Suite(.timeLimit(.minutes(2)))
struct TLSServeTests {
    @Test(arguments: ["ec", "rsa"])
    func theSamePortSpeaksHTTPSAndWSS(keyType: String) async throws {
        let certificates = try TestCertificates.make(keyType: keyType)
        defer { certificates.remove() }
        let server = GatewayServer(configuration: .init(
            port: 0, tlsContext: try GatewayServerConfiguration.tlsContext(certificateChain: certificates.certificatePath, privateKey: certificates.keyPath)))
        let task = Task { try await server.run() }
        defer { Task { await server.close(); _ = try? await task.value } }
        let port = try await server.listeningPort()

        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificates.caPath))
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        let gateway = try await httpRequest(.GET, "https://127.0.0.1:\(port)/api/v10/gateway", client: client)
        #expect(try JSONValue(parsing: gateway.body)["url"]?.stringValue == "wss://127.0.0.1:\(port)")

        let bot = try await GatewayTestClient.connect(port: port, tls: try certificates.clientContext())
        #expect(try await bot.next()["op"] == 10)
        try await bot.send(op: 2, ["token": "tls-bot", "intents": 0, "properties": [:]])
        let ready = try await bot.nextDispatch("READY")
        #expect(ready["d"]?["resume_gateway_url"]?.stringValue == "wss://127.0.0.1:\(port)")
    }

    @Test func missingOrMismatchedFilesAreRefusedNamingTheFile() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let other = try TestCertificates.make()
        defer { other.remove() }
        #expect(throws: TLSFileError.self) { try GatewayServerConfiguration.tlsContext(certificateChain: "/nonexistent.pem", privateKey: certificates.keyPath) }
        do {
            _ = try GatewayServerConfiguration.tlsContext(certificateChain: certificates.certificatePath, privateKey: other.keyPath)
            Issue.record("a key of another certificate was accepted")
        } catch {
            #expect(error.description.contains(other.keyPath))
        }
    }
}

/// SPEC §7's redaction of a token: `redacted:` + the first 12 hex of its SHA-256.
func redacted(_ token: String) -> String {
    "redacted:" + SHA256.hash(data: Array(token.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
}
