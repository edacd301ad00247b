import GatewayModel

/// Indented JSON (keys sorted) for the side-by-side view, one line per scalar, each line knowing
/// whether it lies under one of the marked pointers.
enum PrettyJSON {
    static func lines(_ value: JSONValue, marked: [String]) -> [(text: String, marked: Bool)] {
        var output: [(String, Bool)] = []
        var path: [String] = []
        emit(value, key: nil, indent: 0, last: true, path: &path, marked: marked, into: &output)
        return output
    }

    private static func isMarked(_ path: [String], _ marked: [String]) -> Bool {
        let pointer = JSONPointer.text(for: path)
        return marked.contains { pointer == $0 || pointer.hasPrefix($0 + "/") || $0.isEmpty }
    }

    private static func emit(
        _ value: JSONValue, key: String?, indent: Int, last: Bool, path: inout [String], marked: [String],
        into output: inout [(String, Bool)]
    ) {
        let pad = String(repeating: "  ", count: indent)
        let prefix = pad + (key.map { JSONValue.string($0).jsonString + ": " } ?? "")
        let comma = last ? "" : ","
        let mark = isMarked(path, marked)
        switch value {
        case .object(let object) where !object.isEmpty:
            output.append((prefix + "{", mark))
            let keys = object.keys.sorted()
            for (index, member) in keys.enumerated() {
                path.append(member)
                emit(object[member]!, key: member, indent: indent + 1, last: index == keys.count - 1, path: &path, marked: marked, into: &output)
                path.removeLast()
            }
            output.append((pad + "}" + comma, mark))
        case .array(let items) where !items.isEmpty:
            output.append((prefix + "[", mark))
            for (index, item) in items.enumerated() {
                path.append(String(index))
                emit(item, key: nil, indent: indent + 1, last: index == items.count - 1, path: &path, marked: marked, into: &output)
                path.removeLast()
            }
            output.append((pad + "]" + comma, mark))
        default:
            output.append((prefix + value.jsonString + comma, mark))
        }
    }
}
