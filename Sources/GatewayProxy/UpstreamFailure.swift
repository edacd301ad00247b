import NIOCore
import NIOPosix
import NIOSSL

/// Why the upstream could not be used, in words for a log line, a 502 body or a close reason.
enum UpstreamFailure {
    /// `upstream https://discord.com: TLS certificate verification failed (...)`, `... unreachable: connection refused`.
    static func describe(_ error: any Error, upstream: UpstreamURL) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("failedToValidateHostname") {
            return "upstream \(upstream): TLS certificate verification failed (\(text)); give the upstream's CA with --upstream-ca"
        }
        if error is NIOSSLError || error is BoringSSLError || text.contains("handshakeFailed") {
            return "upstream \(upstream): TLS handshake failed (\(text))"
        }
        if error is NIOConnectionError || error is IOError || text.contains("connect") || text.contains("refused") {
            return "upstream \(upstream) unreachable: \(text)"
        }
        return "upstream \(upstream) failed: \(text)"
    }
}
