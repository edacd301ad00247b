import Foundation
import GatewayModel

/// A file sent with a message (a `files[n]` part of a multipart body).
public struct UploadedFile: Equatable, Sendable {
    public var filename: String
    public var contentType: String?
    public var size: Int
    public init(filename: String, contentType: String?, size: Int) {
        self.filename = filename; self.contentType = contentType; self.size = size
    }
}

/// The body of Create / Edit Message, an interaction response or a follow-up, checked against
/// Discord's limits. Field errors name their path (`content`, or `data.content` in a callback).
struct MessageBody {
    static let maxContent = 2_000
    static let maxEmbeds = 10
    static let maxNonce = 25

    var content: String?
    var embeds: [JSONValue]?
    var components: [JSONValue]?
    var flags: Int64?
    var nonce: JSONValue?
    var tts: Bool
    var reference: JSONValue?
    var attachments: [JSONValue]?
    var hasStickers: Bool
    var hasPoll: Bool
    var files: [UploadedFile]

    /// Checks the fields a message body may have; `prefix` is `data.` inside an interaction callback.
    init(_ body: JSONValue, files: [UploadedFile], prefix: String = "") throws(RESTError) {
        guard case .object = body else { throw .wrongType(prefix.isEmpty ? "_" : String(prefix.dropLast()), expected: "an object") }
        func field(_ name: String) -> JSONValue? {
            guard let value = body[name], value != .null else { return nil }
            return value
        }
        if let value = field("content") {
            guard let text = value.stringValue else { throw .wrongType(prefix + "content", expected: "a string") }
            guard text.count <= Self.maxContent else {
                throw .invalidFormBody(prefix + "content", code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(Self.maxContent) or fewer in length.")
            }
            content = text
        }
        if let value = field("embeds") {
            guard let list = value.arrayValue else { throw .wrongType(prefix + "embeds", expected: "an array") }
            guard list.count <= Self.maxEmbeds else {
                throw .invalidFormBody(prefix + "embeds", code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(Self.maxEmbeds) or fewer in length.")
            }
            for (index, embed) in list.enumerated() where embed.objectValue == nil {
                throw .wrongType(prefix + "embeds.\(index)", expected: "an object")
            }
            embeds = list
        }
        if let value = field("components") {
            guard let list = value.arrayValue else { throw .wrongType(prefix + "components", expected: "an array") }
            components = list
        }
        if let value = field("flags") {
            guard let number = value.int64Value, value.stringValue == nil else { throw .wrongType(prefix + "flags", expected: "an integer") }
            flags = number
        }
        if let value = field("nonce") {
            let text: String
            switch value {
            case .string(let string): text = string
            case .int(let number): text = String(number)
            default: throw .wrongType(prefix + "nonce", expected: "a string or an integer")
            }
            guard text.count <= Self.maxNonce else {
                throw .invalidFormBody(prefix + "nonce", code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(Self.maxNonce) or fewer in length.")
            }
            nonce = value
        }
        tts = field("tts")?.boolValue ?? false
        if let value = field("message_reference") {
            guard value.objectValue != nil else { throw .wrongType(prefix + "message_reference", expected: "an object") }
            reference = value
        }
        if let value = field("attachments") {
            guard let list = value.arrayValue else { throw .wrongType(prefix + "attachments", expected: "an array") }
            attachments = list
        }
        hasStickers = !(field("sticker_ids")?.arrayValue ?? []).isEmpty
        hasPoll = field("poll") != nil
        self.files = files
    }

    /// Whether there is anything to send (Discord: 50006 otherwise).
    var isEmpty: Bool {
        (content ?? "").isEmpty && (embeds ?? []).isEmpty && (components ?? []).isEmpty && files.isEmpty && !hasStickers && !hasPoll
    }

    /// Attachment objects for the uploaded files, with ids and descriptions from `attachments`.
    func attachmentObjects(channelID: UInt64, makeID: () -> UInt64) -> [JSONValue] {
        files.enumerated().map { index, file in
            let declared = attachments?.first { $0["id"]?.int64Value == Int64(index) }
            let id = makeID()
            let url = "https://cdn.discordapp.com/attachments/\(channelID)/\(id)/\(file.filename)"
            var object: JSONValue = [
                "id": .string(String(id)), "filename": .string(file.filename), "size": .int(Int64(file.size)),
                "url": .string(url), "proxy_url": .string(url.replacingOccurrences(of: "cdn.discordapp.com", with: "media.discordapp.net")),
                "content_type": file.contentType.map { .string($0) } ?? .null,
            ]
            if let description = declared?["description"] { object["description"] = description }
            return object
        }
    }
}
