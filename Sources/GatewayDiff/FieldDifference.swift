import GatewayModel

/// One field that differs between two aligned steps.
public struct FieldDifference: Sendable, Hashable {
    /// Where, as a JSON pointer into the step's normalised value (`/d/intents`).
    public var pointer: String
    /// The value in A (`nil`: the field is absent in A).
    public var a: JSONValue?
    /// The value in B (`nil`: the field is absent in B).
    public var b: JSONValue?

    /// Creates a field difference.
    public init(pointer: String, a: JSONValue?, b: JSONValue?) {
        self.pointer = pointer
        self.a = a
        self.b = b
    }

    /// Every leaf where `a` and `b` differ: objects by key, arrays by index, anything else by value.
    static func between(_ a: JSONValue, _ b: JSONValue) -> [FieldDifference] {
        var result: [FieldDifference] = []
        var path: [String] = []
        collect(a, b, path: &path, into: &result)
        return result
    }

    private static func collect(_ a: JSONValue?, _ b: JSONValue?, path: inout [String], into result: inout [FieldDifference]) {
        if a == b { return }
        switch (a, b) {
        case (.object(let left)?, .object(let right)?):
            for key in Set(left.keys).union(right.keys).sorted() {
                path.append(key)
                collect(left[key], right[key], path: &path, into: &result)
                path.removeLast()
            }
        case (.array(let left)?, .array(let right)?):
            for index in 0..<max(left.count, right.count) {
                path.append(String(index))
                // `Optional.none`, not `nil`: JSONValue is ExpressibleByNilLiteral.
                let itemA: JSONValue? = index < left.count ? left[index] : Optional.none
                let itemB: JSONValue? = index < right.count ? right[index] : Optional.none
                collect(itemA, itemB, path: &path, into: &result)
                path.removeLast()
            }
        default:
            result.append(FieldDifference(pointer: JSONPointer.text(for: path), a: a, b: b))
        }
    }
}
