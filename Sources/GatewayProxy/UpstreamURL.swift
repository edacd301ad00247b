import Foundation

/// An upstream's base URL: `https://discord.com`, `wss://gateway.discord.gg`, `http://127.0.0.1:8765`.
/// Only a scheme, a host, an optional port and an optional path prefix; no query, no user info.
public struct UpstreamURL: Sendable, Equatable, CustomStringConvertible {
    /// `http`, `https`, `ws` or `wss`.
    public let scheme: String
    public let host: String
    public let port: Int
    /// A path prefix without a trailing slash (`""` for none).
    public let path: String

    /// Whether the connection uses TLS (`https`, `wss`).
    public var isSecure: Bool { scheme == "https" || scheme == "wss" }

    /// Parses `text`, accepting only the given schemes.
    /// - Throws: `UpstreamURLError` saying what is wrong.
    public init(_ text: String, schemes: [String]) throws(UpstreamURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw UpstreamURLError(text: text, problem: "not a URL (expected \(schemes.map { $0 + "://HOST[:PORT]" }.joined(separator: " or ")))")
        }
        guard schemes.contains(scheme) else {
            throw UpstreamURLError(text: text, problem: "the scheme must be \(schemes.joined(separator: " or ")), not \(scheme)")
        }
        guard let host = components.host, !host.isEmpty else { throw UpstreamURLError(text: text, problem: "no host") }
        guard components.user == nil, components.password == nil else { throw UpstreamURLError(text: text, problem: "user info is not supported") }
        guard components.query == nil, components.fragment == nil else {
            throw UpstreamURLError(text: text, problem: "no query or fragment allowed (the proxy adds its own)")
        }
        if let port = components.port, !(1...65535).contains(port) { throw UpstreamURLError(text: text, problem: "port out of range") }
        self.scheme = scheme
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (scheme == "https" || scheme == "wss" ? 443 : 80)
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    /// The URL as text, the port shown only when it is not the scheme's default.
    public var description: String {
        let defaultPort = isSecure ? 443 : 80
        let authority = host.contains(":") ? "[\(host)]" : host
        return scheme + "://" + authority + (port == defaultPort ? "" : ":\(port)") + path
    }

    /// `Host` header value for requests to this upstream.
    var hostHeader: String {
        let authority = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? authority : "\(authority):\(port)"
    }

    /// Whether the host is an IP address (no SNI is sent; the certificate must name the address).
    var hostIsIPAddress: Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }
}

/// An upstream URL that cannot be used.
public struct UpstreamURLError: Error, CustomStringConvertible {
    public var text: String
    public var problem: String
    public var description: String { "'\(text)': \(problem)" }
}
