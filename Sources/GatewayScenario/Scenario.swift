import GatewayModel
import Yams

/// A scenario: rules that fire control actions at the moment the bot does something (SPEC §9).
///
/// ```swift
/// let scenario = try Scenario(parsing: Array("""
///     rules:
///       - name: resume refused
///         when: {client_op: 6}
///         do: [{invalid_session: {resumable: false}}]
///     """.utf8))
/// ```
public struct Scenario: Sendable, Equatable {
    public var name: String?
    public var rules: [ScenarioRule]

    public init(name: String? = nil, rules: [ScenarioRule]) {
        self.name = name
        self.rules = rules
    }

    /// Parses a JSON or YAML document (JSON is YAML, but a JSON document is read as JSON, so its
    /// numbers and strings keep JSON's meaning).
    /// - Throws: `ScenarioError` naming the rule and the field.
    public init(parsing bytes: [UInt8]) throws(ScenarioError) {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if first == UInt8(ascii: "{") {
            guard let json = try? JSONValue(parsing: bytes) else { throw ScenarioError(field: FieldError("", "not valid JSON")) }
            try self.init(json: json)
        } else {
            let value: JSONValue
            do { value = try YAMLDocument.parse(String(decoding: bytes, as: UTF8.self)) } catch { throw ScenarioError(field: error) }
            try self.init(json: value)
        }
    }

    /// Builds a scenario from a parsed document `{name?, rules: [...]}`.
    /// - Throws: `ScenarioError` naming the rule and the field.
    public init(json: JSONValue) throws(ScenarioError) {
        guard case .object(let fields) = json else {
            throw ScenarioError(field: FieldError("", "must be an object {name?, rules: [...]}"))
        }
        if let unknown = fields.keys.sorted().first(where: { $0 != "name" && $0 != "rules" }) {
            throw ScenarioError(field: FieldError(unknown, "unknown field (a scenario has name and rules)"))
        }
        do { name = try JSONField.optionalString(json, "name") } catch { throw ScenarioError(field: error) }
        guard case .array(let rules)? = fields["rules"] else {
            throw ScenarioError(field: FieldError("rules", "required, a list of rules {name?, when, do, times?}"))
        }
        self.rules = []
        for (index, rule) in rules.enumerated() {
            do {
                self.rules.append(try ScenarioRule(json: rule, number: index + 1))
            } catch {
                throw ScenarioError(rule: index + 1, ruleName: rule["name"]?.stringValue, field: error)
            }
        }
    }

    /// Refuses a scenario for a proxy (`proxy --scenario`, the control API in proxy mode): no action
    /// may make events of its own (`dispatch`, `interaction`, see `ControlAction.makesEvents`).
    /// - Throws: `ScenarioError` naming the rule and the action, e.g. `rule 2: do[0].dispatch: not available in proxy mode …`.
    public func checkForProxy() throws(ScenarioError) {
        for rule in rules {
            for (index, step) in rule.steps.enumerated() {
                guard case .action(let action) = step, action.makesEvents else { continue }
                throw ScenarioError(
                    rule: rule.number, ruleName: rule.name, field: FieldError("do[\(index)].\(action.name)", ControlAction.proxyRefusal))
            }
        }
    }
}
