import GatewayModel

/// Reading fields of a JSON body (scenario documents, control API bodies) with errors that name the field.
public enum JSONField {
    /// The body as an object (`null` reads as `{}`).
    public static func object(_ body: JSONValue) throws(FieldError) -> JSONValue {
        switch body {
        case .object: return body
        case .null: return [:]
        default: throw FieldError("", "must be an object")
        }
    }

    /// An integer, also from a whole double (YAML and some JSON writers); not from a string.
    public static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: Int64(d)
        default: nil
        }
    }

    /// A number, integer or not.
    public static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// A string field, or `nil` when absent or null.
    public static func optionalString(_ body: JSONValue, _ field: String) throws(FieldError) -> String? {
        switch body[field] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw FieldError(field, "must be a string")
        }
    }

    /// A boolean field, or `nil` when absent or null.
    public static func optionalBool(_ body: JSONValue, _ field: String) throws(FieldError) -> Bool? {
        switch body[field] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw FieldError(field, "must be true or false")
        }
    }
}
