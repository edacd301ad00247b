import Foundation

/// Deterministic test data: gateway-like JSON messages.
enum Samples {
    /// A small pseudo-random generator so that the data is reproducible and not trivially compressible.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        mutating func word() -> String {
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            let length = Int(next() % 9) + 2
            return String((0..<length).map { _ in letters[Int(next() % 26)] })
        }
    }

    /// A sequence of different gateway frames, HELLO, READY, dispatches and ACKs, with repeated structure.
    static func gatewayMessages() -> [[UInt8]] {
        var generator = Generator(state: 42)
        var messages: [String] = [
            #"{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}"#,
            #"{"op":0,"d":{"v":10,"user":{"id":"1000000000000000001","username":"bot","discriminator":"0000","bot":true},"guilds":[{"id":"1100000000000000001","unavailable":true}],"session_id":"9f8e7d6c5b4a","resume_gateway_url":"ws://127.0.0.1:8080","application":{"id":"1000000000000000001","flags":0}},"s":1,"t":"READY"}"#,
            #"{"op":11,"d":null,"s":null,"t":null}"#,
        ]
        for sequence in 2...8 {
            let content = (0..<12).map { _ in generator.word() }.joined(separator: " ")
            messages.append(
                #"{"op":0,"d":{"id":"\#(1_200_000_000_000_000_000 + generator.next() % 1_000_000)","channel_id":"1300000000000000001","guild_id":"1100000000000000001","author":{"id":"1400000000000000002","username":"\#(generator.word())","bot":false},"content":"\#(content)","embeds":[],"attachments":[],"mentions":[],"tts":false},"s":\#(sequence),"t":"MESSAGE_CREATE"}"#
            )
        }
        messages.append(#"{"op":11,"d":null,"s":null,"t":null}"#)
        return messages.map { Array($0.utf8) }
    }

    /// A gateway message of about `byteCount` bytes: a GUILD_MEMBERS_CHUNK with pseudo-random members.
    static func largeMessage(byteCount: Int = 100 * 1024) -> [UInt8] {
        var generator = Generator(state: 7)
        var text = #"{"op":0,"d":{"guild_id":"1100000000000000001","chunk_index":0,"chunk_count":1,"members":["#
        var first = true
        while text.utf8.count < byteCount - 200 {
            if !first { text += "," }
            first = false
            text += #"{"user":{"id":"\#(1_500_000_000_000_000_000 + generator.next() % 100_000_000_000)","username":"\#(generator.word())\#(generator.word())","global_name":"\#(generator.word()) \#(generator.word())"},"roles":[],"nick":null,"joined_at":"2024-0\#(generator.next() % 9 + 1)-1\#(generator.next() % 10)T12:00:00.000000+00:00"}"#
        }
        text += #"]},"s":9,"t":"GUILD_MEMBERS_CHUNK"}"#
        return Array(text.utf8)
    }

    /// `byteCount` pseudo-random bytes (incompressible: makes deflate emit stored blocks).
    static func randomBytes(_ byteCount: Int, seed: UInt64 = 99) -> [UInt8] {
        var generator = Generator(state: seed)
        return (0..<byteCount).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }
}

/// Runs external decoders (python3, zstd) as independent cross-checks.
enum ExternalTool {
    /// The absolute path of `name` on PATH, if any.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let python3 = find("python3")
    static let zstd = find("zstd")

    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
    }

    /// Runs `executable arguments` with `input` on stdin; stdin and stderr go through temporary files so
    /// large outputs cannot dead-lock on pipe buffers.
    static func run(_ executable: String, _ arguments: [String], input: [UInt8]) throws -> Output {
        let directory = FileManager.default.temporaryDirectory
        let inputURL = directory.appendingPathComponent("gatewaycompression-\(UUID().uuidString).in")
        let errorURL = directory.appendingPathComponent("gatewaycompression-\(UUID().uuidString).err")
        defer {
            try? FileManager.default.removeItem(at: inputURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        try Data(input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let inputHandle = try FileHandle(forReadingFrom: inputURL)
        let errorHandle = try FileHandle(forWritingTo: errorURL)
        defer {
            try? inputHandle.close()
            try? errorHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardInput = inputHandle
        process.standardOutput = stdout
        process.standardError = errorHandle
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        return Output(status: process.terminationStatus, stdout: Array(output), stderr: errorText)
    }

    /// Length-prefixes each frame with a 4-byte big-endian count.
    static func lengthPrefixed(_ frames: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for frame in frames {
            let count = UInt32(frame.count)
            bytes += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            bytes += frame
        }
        return bytes
    }

    /// Splits length-prefixed frames.
    static func splitLengthPrefixed(_ bytes: [UInt8]) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard index + 4 <= bytes.count else { return nil }
            let count = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            index += 4
            guard index + count <= bytes.count else { return nil }
            frames.append(Array(bytes[index..<index + count]))
            index += count
        }
        return frames
    }

    /// Decodes zlib-stream WebSocket messages the way Discord's Python clients do: one
    /// `zlib.decompressobj()` for the connection, each message checked for the `00 00 ff ff` suffix and
    /// decompressed on its own. Returns the decoded messages.
    static func pythonZlibStreamDecode(_ frames: [[UInt8]]) throws -> [[UInt8]]? {
        guard let python3 else { return nil }
        let script = """
        import struct, sys, zlib
        data = sys.stdin.buffer.read()
        d = zlib.decompressobj()
        out = sys.stdout.buffer
        i = 0
        while i < len(data):
            (n,) = struct.unpack('>I', data[i:i + 4]); i += 4
            frame = data[i:i + n]; i += n
            if frame[-4:] != b'\\x00\\x00\\xff\\xff':
                sys.exit('frame without the 00 00 ff ff suffix')
            message = d.decompress(frame)
            out.write(struct.pack('>I', len(message))); out.write(message)
        """
        let output = try run(python3, ["-c", script], input: lengthPrefixed(frames))
        guard output.status == 0 else {
            throw CrossCheckFailure(description: "python3 zlib decode failed (\(output.status)): \(output.stderr)")
        }
        return splitLengthPrefixed(output.stdout)
    }

    /// Decodes the concatenated zstd-stream output with the `zstd` command-line tool. The frame is never
    /// ended, so zstd may complain about a truncated frame at the end; what matters is the decoded output.
    static func zstdCLIDecode(_ frames: [[UInt8]]) throws -> Output? {
        guard let zstd else { return nil }
        return try run(zstd, ["-d", "-c", "-q"], input: frames.flatMap { $0 })
    }
}

struct CrossCheckFailure: Error, CustomStringConvertible {
    var description: String
}

/// `nil` when `actual` equals `expected`, else a short summary. Used instead of comparing large byte arrays
/// inside `#expect`, whose failure output would print every byte.
func byteDifference(_ actual: [UInt8]?, _ expected: [UInt8]) -> String? {
    guard let actual else { return "got nil, expected \(expected.count) bytes" }
    if actual == expected { return nil }
    let index = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(actual.count, expected.count)
    return "got \(actual.count) bytes, expected \(expected.count); first difference at byte \(index)"
}
