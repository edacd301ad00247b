import GatewayModel
import Yams

/// A YAML document read into a `JSONValue` (YAML's core schema: null, bool, int, float, string).
enum YAMLDocument {
    static func parse(_ text: String) throws(FieldError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw FieldError("", "not valid YAML or JSON: " + describe(error))
        } catch {
            throw FieldError("", "not valid YAML or JSON")
        }
        guard let node else { throw FieldError("", "empty document") }
        return try value(node)
    }

    private static func value(_ node: Node) throws(FieldError) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, item) in mapping {
                guard let name = key.string else { throw FieldError("", "mapping keys must be strings") }
                object[name] = try value(item)
            }
            return .object(object)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try value(item)) }
            return .array(items)
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map { .bool($0) } ?? .string(scalar.string)
            case .int: return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case .float: return node.float.map { .double($0) } ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .alias:
            throw FieldError("", "YAML aliases are not supported")
        }
    }

    /// One line: where and what (Yams' own description quotes the document over several lines).
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            "line \(mark.line) column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            problem
        default:
            "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }
}
