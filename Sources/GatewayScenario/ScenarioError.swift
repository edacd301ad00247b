/// Why a scenario document was refused: the rule (its number from 1 and its name, if any) and the
/// field, e.g. `rule 2 "resume refused": when.client_op: must be a client opcode (1, 2, 3, 4, 6, 8, 31, 43)`.
public struct ScenarioError: Error, Equatable, CustomStringConvertible {
    /// The rule's number, from 1; `nil` for the document itself (not JSON or YAML, no `rules`).
    public var rule: Int?
    /// The rule's `name`, when it has one.
    public var ruleName: String?
    /// The field within the rule (or the document), e.g. `do[0].disconnect.code`.
    public var field: FieldError

    public var description: String {
        guard let rule else { return field.description }
        let name = ruleName.map { " \"\($0)\"" } ?? ""
        return "rule \(rule)\(name): \(field)"
    }
}
