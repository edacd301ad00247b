import Foundation
import NIOSSL

/// A throwaway CA and a server certificate for 127.0.0.1 it signed, made with the `openssl` CLI in a
/// temporary folder (removed by `remove()`).
public struct TestCertificates {
    public let directory: URL
    public var caPath: String { directory.appendingPathComponent("ca.pem").path }
    public var certificatePath: String { directory.appendingPathComponent("server.pem").path }
    public var keyPath: String { directory.appendingPathComponent("server.key").path }

    /// `keyType`: `ec` (P-256) or `rsa` (2048 bits); both PKCS#8.
    public static func make(keyType: String = "ec") throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatewaytape-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        let key = keyType == "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        try openssl(["req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=gatewaytape test CA", "-keyout", "ca.key", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"] + key, in: directory)
        try openssl(["req", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"] + key, in: directory)
        try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: directory.appendingPathComponent("server.ext"))
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-out", "server.pem", "-extfile", "server.ext"], in: directory)
        return certificates
    }

    /// A client TLS context that trusts only this CA.
    public func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        return try NIOSSLContext(configuration: configuration)
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }

    private static func openssl(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CertificateError(message: "openssl \(arguments.joined(separator: " ")): \(message)")
        }
    }

    public struct CertificateError: Error { public let message: String }
}
