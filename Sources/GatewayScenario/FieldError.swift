/// A value of a scenario or control body that cannot be used: `path` names the field
/// (`do[0].disconnect.code`), `message` says what it must be.
public struct FieldError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    /// The same error one level down: `disconnect` + `code: …` → `disconnect.code: …`.
    func nested(under parent: String) -> FieldError {
        FieldError(path.isEmpty ? parent : (path.hasPrefix("[") ? parent + path : parent + "." + path), message)
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
