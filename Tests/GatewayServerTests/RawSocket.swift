import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket for byte-exact HTTP tests.
final class RawSocket: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { Glibc.close(fd) }

    /// Runs blocking socket calls on a thread of their own: a blocked cooperative thread could starve
    /// the server's own request handling (two threads on a 2-core machine).
    func blocking<T: Sendable>(_ body: @escaping @Sendable (RawSocket) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body(self) }) }
        }
    }

    func send(_ text: String) throws {
        try send(bytes: Array(text.utf8))
    }

    func send(bytes: [UInt8]) throws {
        guard Glibc.send(fd, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Half-closes the connection: the server reads end of input after what was sent.
    func shutdownWrite() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
        buffer += chunk[..<count]
    }

    /// Reads one response: headers, then `Content-Length` bytes of body.
    func readHTTPResponse() throws -> String {
        let separator: [UInt8] = [13, 10, 13, 10]
        while buffer.firstRange(of: separator) == nil { try fill() }
        let end = buffer.firstRange(of: separator)!.upperBound
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        let length = head.lowercased().split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        while buffer.count < end + length { try fill() }
        let response = String(decoding: buffer[..<(end + length)], as: UTF8.self)
        buffer.removeFirst(end + length)
        return response
    }

    /// Reads until the server closes the connection (a read timeout throws).
    func readToEnd() throws -> [UInt8] {
        while true {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = Glibc.recv(fd, &chunk, chunk.count, 0)
            if count == 0 { break }
            guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
            buffer += chunk[..<count]
        }
        defer { buffer.removeAll() }
        return buffer
    }

    func read(atLeast count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        defer { buffer.removeAll() }
        return buffer
    }
}
