import GatewayModel

extension ComparisonReport {
    /// The report as a `JSONValue` (the schema in ``ComparisonReport``'s documentation).
    public var jsonValue: JSONValue {
        var summary: [String: JSONValue] = [:]
        summary["equal_steps"] = .int(Int64(equalSteps))
        summary["added"] = .int(Int64(count(.added)))
        summary["removed"] = .int(Int64(count(.removed)))
        summary["changed"] = .int(Int64(count(.changed)))
        summary["cadence_differs"] = .bool(cadenceMismatch != nil)
        var root: [String: JSONValue] = [:]
        root["format"] = "gatewaytape-diff/1"
        root["equal"] = .bool(isEqual)
        root["a"] = Self.json(a)
        root["b"] = Self.json(b)
        root["summary"] = .object(summary)
        root["first_divergence"] = firstDivergence.map(Self.json) ?? .null
        root["differences"] = .array(differences.map(Self.json))
        root["heartbeat_cadence"] = [
            "equal": .bool(cadenceMismatch == nil), "tolerance": .double(cadenceTolerance),
            "message": cadenceMismatch.map { .string($0) } ?? .null,
        ]
        root["hints"] = .array(hints.map(Self.json))
        root["ignored"] = .array(ignored.map { .string($0) })
        return .object(root)
    }

    func renderJSON() -> String { jsonValue.jsonString + "\n" }

    private static func number(_ value: Double?) -> JSONValue {
        value.map { .double(Format.rounded($0)) } ?? .null
    }

    private static func json(_ side: Side) -> JSONValue {
        let timing = side.timing
        let heartbeat: JSONValue = [
            "count": .int(Int64(timing.heartbeat.count)), "intervals": .int(Int64(timing.heartbeat.intervals)),
            "mean_ms": number(timing.heartbeat.meanMs), "jitter_ms": number(timing.heartbeat.jitterMs),
            "hello_interval_ms": number(timing.heartbeat.helloIntervalMs),
        ]
        let summary: JSONValue = [
            "hello_to_identify_ms": number(timing.helloToIdentifyMs), "heartbeat": heartbeat,
            "reconnect_delays_ms": .array(timing.reconnectDelaysMs.map { number($0) }),
            "resume_delays_ms": .array(timing.resumeDelaysMs.map { number($0) }),
            "commands_per_minute": number(timing.commandsPerMinute),
            "max_commands_in_60s": .int(Int64(timing.maxCommandsIn60s)),
            "rest_call_offsets_ms": .array(timing.restCallOffsetsMs.map { number($0) }),
        ]
        let faults = side.faults.map { fault -> JSONValue in
            [
                "t_ms": .double(Format.milliseconds(fault.offsetNs)), "action": .string(fault.action),
                "args": fault.args.flatMap { try? JSONValue(parsing: $0) } ?? .null,
            ]
        }
        return ["label": .string(side.label), "steps": .int(Int64(side.steps)), "timing": summary, "faults": .array(faults)]
    }

    private static func json(_ difference: StepDifference) -> JSONValue {
        func optional(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }
        var object: [String: JSONValue] = [:]
        object["kind"] = .string(difference.kind.rawValue)
        object["lane"] = difference.lane.map { .string($0.description) } ?? .null
        object["step"] = .string(difference.label)
        object["index_a"] = optional(difference.a.map { Int64($0.index) })
        object["index_b"] = optional(difference.b.map { Int64($0.index) })
        object["t_a_ms"] = difference.a.map { .double(Format.milliseconds($0.offsetNs)) } ?? .null
        object["t_b_ms"] = difference.b.map { .double(Format.milliseconds($0.offsetNs)) } ?? .null
        object["connection_a"] = optional(difference.a?.connectionID)
        object["connection_b"] = optional(difference.b?.connectionID)
        object["frame_a"] = difference.a?.value ?? .null
        object["frame_b"] = difference.b?.value ?? .null
        object["fields"] = .array(
            difference.fields.map { field in
                [
                    "pointer": .string(field.pointer), "a": field.a ?? .null, "b": field.b ?? .null,
                    "in_a": .bool(field.a != nil), "in_b": .bool(field.b != nil),
                ]
            })
        object["message"] = difference.message.map { .string($0) } ?? .null
        return .object(object)
    }

    private static func json(_ hint: ProtocolHint) -> JSONValue {
        [
            "side": .string(hint.side), "kind": .string(hint.kind.rawValue), "message": .string(hint.message),
            "t_ms": hint.offsetNs.map { .double(Format.milliseconds($0)) } ?? .null,
            "connection": hint.connectionID.map { .int($0) } ?? .null,
        ]
    }
}
