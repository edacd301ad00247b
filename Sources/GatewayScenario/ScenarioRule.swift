import GatewayModel

/// One rule of a scenario: when it fires, what it does, how many times.
public struct ScenarioRule: Sendable, Equatable {
    /// One step of `do`: a control action, or a pause before the next one.
    public enum Step: Sendable, Equatable {
        case action(ControlAction)
        case wait(milliseconds: Int64)
    }

    /// How many times a rule fires.
    public enum Times: Sendable, Equatable {
        case count(Int)
        case always
    }

    /// The rule's position in the document, from 1.
    public var number: Int
    public var name: String?
    public var trigger: ScenarioTrigger
    public var steps: [Step]
    public var times: Times

    /// How recordings and messages name the rule: its name, else its number.
    public var label: String { name ?? String(number) }

    public init(number: Int, name: String? = nil, trigger: ScenarioTrigger, steps: [Step], times: Times = .count(1)) {
        self.number = number
        self.name = name
        self.trigger = trigger
        self.steps = steps
        self.times = times
    }

    static let fields = ["name", "when", "do", "times"]

    /// Parses a rule object; errors name the field within the rule.
    init(json: JSONValue, number: Int) throws(FieldError) {
        self.number = number
        guard case .object(let fields) = json else { throw FieldError("", "must be an object {name?, when, do, times?}") }
        if let unknown = fields.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw FieldError(unknown, "unknown field (a rule has name, when, do, times)")
        }
        name = try JSONField.optionalString(json, "name")
        guard let when = fields["when"] else { throw FieldError("when", "required, the trigger, e.g. {\"client_op\": 6}") }
        do { trigger = try ScenarioTrigger(json: when) } catch { throw error.nested(under: "when") }
        guard case .array(let actions)? = fields["do"], !actions.isEmpty else {
            throw FieldError("do", "required, a list of actions, e.g. [{\"invalid_session\": {\"resumable\": false}}]")
        }
        steps = []
        for (index, action) in actions.enumerated() {
            do { steps.append(try Self.step(action)) } catch { throw error.nested(under: "do[\(index)]") }
        }
        guard steps.contains(where: { if case .action = $0 { true } else { false } }) else {
            throw FieldError("do", "needs at least one action besides wait_ms")
        }
        switch fields["times"] {
        case nil, .null?: times = .count(1)
        case .string("always")?: times = .always
        case let value?:
            guard let count = JSONField.integer(value), count >= 1, count <= Int64(Int32.max) else {
                throw FieldError("times", "must be a positive integer or \"always\"")
            }
            times = .count(Int(count))
        }
        if trigger.isTimer, times != .count(1), trigger.afterMilliseconds == 0 {
            throw FieldError("when.after_ms", "must be at least 1 for a timer rule that repeats (it fires every after_ms)")
        }
    }

    /// One element of `do`: an object with exactly one key.
    private static func step(_ json: JSONValue) throws(FieldError) -> Step {
        guard case .object(let fields) = json, fields.count == 1, let (name, body) = fields.first else {
            throw FieldError("", "must be an object with one action, e.g. {\"disconnect\": {\"code\": 4000}}")
        }
        if name == "wait_ms" {
            guard let ms = JSONField.integer(body), ms >= 0 else { throw FieldError("wait_ms", "must be a number of milliseconds, 0 or more") }
            return .wait(milliseconds: ms)
        }
        do {
            return .action(try ControlAction(name: name, body: body))
        } catch {
            // An unknown action is named by its key; a bad body by the field inside it.
            throw error.path.isEmpty && !ControlAction.names.contains(name) ? FieldError(name, error.message) : error.nested(under: name)
        }
    }
}
