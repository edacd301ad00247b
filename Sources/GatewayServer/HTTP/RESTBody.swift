import GatewayModel
import GatewayWorld
import MultipartKit
import NIOCore

/// A REST request's body decoded as Discord reads it: JSON, `multipart/form-data` (`payload_json` and
/// `files[n]` parts) or `application/x-www-form-urlencoded` (`payload_json`, as py-cord sends callbacks).
struct RESTBody {
    /// The JSON body, or a form's `payload_json`; `.null` without a body.
    var json: JSONValue = .null
    var files: [UploadedFile] = []

    /// No body.
    init() {}

    /// Decodes a body by its `Content-Type`. An unparseable body is Discord's 50035 / 400.
    init(_ buffer: ByteBuffer?, contentType: String?) throws(RESTError) {
        guard let buffer, buffer.readableBytes > 0 else { return }
        let type = contentType?.lowercased() ?? "application/json"
        if type.hasPrefix("multipart/form-data") {
            try decodeMultipart(buffer, contentType: contentType ?? "")
        } else if type.hasPrefix("application/x-www-form-urlencoded") {
            let fields = RESTRoute.queryParameters(String(buffer: buffer))
            if let payload = fields["payload_json"] {
                json = try Self.parseJSON(ByteBuffer(string: payload))
            } else {
                // A JSON body sent without its Content-Type (some HTTP clients default to a form).
                json = (try? JSONValue(parsing: buffer.readableBytesView)) ?? .object(fields.mapValues { .string($0) })
            }
        } else {
            json = try Self.parseJSON(buffer)
        }
    }

    private static func parseJSON(_ buffer: ByteBuffer) throws(RESTError) -> JSONValue {
        guard let value = try? JSONValue(parsing: buffer.readableBytesView) else {
            throw RESTError(status: 400, code: 50109, message: "The request body contains invalid JSON.")
        }
        return value
    }

    private mutating func decodeMultipart(_ buffer: ByteBuffer, contentType: String) throws(RESTError) {
        guard let boundary = Self.parameter("boundary", in: contentType) else {
            throw RESTError(status: 400, code: 50035, message: "Invalid Form Body", errors: ["_errors": [["code": "CONTENT_TYPE_INVALID", "message": "multipart/form-data needs a boundary"]]])
        }
        // MultipartKit 4.7.1 traps on a byte over 0x7F in a part's header name (its table of allowed
        // characters has 128 entries): such a body is refused before it reaches the parser.
        guard !Self.hasNonASCIIHeaderName(buffer.readableBytesView, boundary: Array(("--" + boundary).utf8)) else {
            throw RESTError(status: 400, code: 50035, message: "Invalid Form Body", errors: ["_errors": [["code": "MULTIPART_INVALID", "message": "a part's header name is not ASCII"]]])
        }
        var parts: [MultipartPart] = []
        var headers = HTTPHeaders()
        var body = ByteBuffer()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in body.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: body))
            headers = HTTPHeaders()
            body = ByteBuffer()
        }
        do { try parser.execute(buffer) } catch {
            throw RESTError(status: 400, code: 50035, message: "Invalid Form Body", errors: ["_errors": [["code": "MULTIPART_INVALID", "message": .string("\(error)")]]])
        }
        for part in parts {
            let disposition = part.headers.first(name: "Content-Disposition") ?? ""
            let name = part.name ?? ""
            if name == "payload_json" {
                json = try Self.parseJSON(part.body)
            } else if let filename = Self.parameter("filename", in: disposition) {
                files.append(UploadedFile(filename: filename, contentType: part.headers.first(name: "Content-Type"), size: part.body.readableBytes))
            } else if name == "content" {
                json["content"] = .string(String(buffer: part.body))
            }
        }
        if json == .null { json = [:] }
    }

    /// Whether a header name of any part has a byte over 0x7F: the header lines after each `--boundary`
    /// (and its CRLF) up to the empty line, each name being what comes before its `:`. Every place the
    /// parser can read a header name from is checked (and a few it would not, which only refuses more).
    static func hasNonASCIIHeaderName(_ bytes: ByteBufferView, boundary: [UInt8]) -> Bool {
        var start = bytes.startIndex
        while let found = bytes[start...].firstRange(of: boundary) {
            var index = found.upperBound + 2  // the CRLF after the boundary
            lines: while index < bytes.endIndex {
                // A name: up to its colon, or a CR (an empty name ends the headers).
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: ":") {
                    if bytes[index] > 0x7F { return true }
                    if bytes[index] == UInt8(ascii: "\r") { break lines }
                    index += 1
                }
                // Its value, up to the CR, then the LF.
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: "\r") { index += 1 }
                index += 2
            }
            start = found.lowerBound + 1
        }
        return false
    }

    /// A `name=value` (or `name="value"`) parameter of a header value.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let pair = piece.trimmingSpaces.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            var value = pair[1].trimmingSpaces
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }

    /// The files' names, types and sizes as the recording keeps them (`request.files`), nil without files.
    var recordedFiles: JSONValue? {
        guard !files.isEmpty else { return nil }
        return .array(files.map { file in
            ["filename": .string(file.filename), "content_type": file.contentType.map { .string($0) } ?? .null, "size": .int(Int64(file.size))]
        })
    }
}

private extension StringProtocol {
    var trimmingSpaces: SubSequence {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
