import GatewayModel

/// One decoded line of an export file (see `RecordingExporter` for the format): the header, or a
/// row of one of the tables, read by the row type from the columns its table describes.
enum ExportLine {
    case header(format: String, version: Int64?, session: String?, meta: [String: String?])
    case session(StoredSession)
    case connection(StoredConnection)
    case frame(StoredFrame)
    case control(StoredControl)
    case http(StoredHTTPCall)

    /// Thrown for a line that is not a valid one; `message` says why (one line).
    struct Invalid: Error {
        var message: String
    }

    /// Parses one line.
    /// - Throws: ``Invalid``.
    init(parsing line: [UInt8]) throws(Invalid) {
        guard let value = try? JSONValue(parsing: line) else { throw Invalid(message: "not valid JSON") }
        guard case .object(let object) = value else { throw Invalid(message: "not a JSON object") }
        guard let kindValue = object["kind"] else { throw Invalid(message: "missing \"kind\"") }
        guard case .string(let kind) = kindValue else { throw Invalid(message: "\"kind\" has the wrong type") }
        do throws(RowError) {
            switch kind {
            case RecordingSchema.meta.lineKind: self = try Self.header(object)
            case StoredSession.table.lineKind: self = .session(try Self.row(object))
            case StoredConnection.table.lineKind: self = .connection(try Self.row(object))
            case StoredFrame.table.lineKind: self = .frame(try Self.row(object))
            case StoredControl.table.lineKind: self = .control(try Self.row(object))
            case StoredHTTPCall.table.lineKind: self = .http(try Self.row(object))
            default: throw RowError("unknown kind \"\(kind)\"")
            }
        } catch {
            throw Invalid(message: error.message)
        }
    }

    private static func row<Row: RecordingRow>(_ object: [String: JSONValue]) throws(RowError) -> Row {
        var source = JSONObjectRowSource(object, table: Row.table)
        return try Row(from: &source)
    }

    private static func header(_ object: [String: JSONValue]) throws(RowError) -> ExportLine {
        func wrongType(_ key: String) -> RowError { RowError("\"\(key)\" has the wrong type") }
        guard let formatValue = object["format"] else { throw RowError("a meta line needs \"format\"") }
        guard case .string(let format) = formatValue else { throw wrongType("format") }
        var version: Int64?
        switch object["version"] {
        case .none, .null?: version = nil
        case .int(let number)?: version = number
        default: throw wrongType("version")
        }
        var session: String?
        switch object["session"] {
        case .none, .null?: session = nil
        case .string(let text)?: session = text
        default: throw wrongType("session")
        }
        var meta: [String: String?] = [:]
        switch object["meta"] {
        case .none, .null?: break
        case .object(let entries)?:
            for (key, value) in entries {
                switch value {
                case .null: meta[key] = .some(nil)
                case .string(let text): meta[key] = text
                default: throw wrongType("meta.\(key)")
                }
            }
        default: throw wrongType("meta")
        }
        return .header(format: format, version: version, session: session, meta: meta)
    }
}
