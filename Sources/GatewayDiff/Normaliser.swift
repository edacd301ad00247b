import GatewayModel

/// Turns one side's payloads into values that compare across runs (SPEC §8).
///
/// - `token` → `"<token>"`, `nonce` → `"<nonce>"` (when not null);
/// - timestamps (keys `since`, `timestamp`, `*_timestamp`, `*_at`, and ISO-8601 strings) → `"<timestamp>"`;
/// - gateway session ids (`session_id`) → `"<session-N>"`, numbered by first appearance;
/// - snowflakes (17–20 digit strings or integers, also inside REST paths) → `"<id-N>"`, numbered by
///   first appearance over the whole session's traffic, both directions, in time order — so the
///   same id gets the same alias on both sides when it plays the same role ("replied in the
///   channel it was mentioned in");
/// - IDENTIFY `d.properties` → its keys only (values become `"<any>"`);
/// - heartbeat `d` → `"<seq>"`.
struct Normaliser {
    private(set) var snowflakes: [String: Int] = [:]
    private(set) var sessions: [String: Int] = [:]
    /// Off, snowflakes stay as they are: for comparing two values that share one id space (a replay
    /// serves the recorded ids), where one alias per id is the id itself.
    var aliasesSnowflakes = true

    /// Registers gateway session ids (from the connections table, in connection order).
    mutating func registerSession(_ id: String) {
        if sessions[id] == nil { sessions[id] = sessions.count + 1 }
    }

    // MARK: Snowflake pre-scan

    /// Registers every snowflake found in `bytes` (payload text or a REST path) in order, without
    /// parsing: a run of 17–20 digits bounded by JSON or path punctuation.
    mutating func scanSnowflakes(in bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            let count = buffer.count
            while index < count {
                guard Self.isDigit(buffer[index]) else {
                    index += 1
                    continue
                }
                let start = index
                while index < count, Self.isDigit(buffer[index]) { index += 1 }
                let length = index - start
                guard length >= 17, length <= 20 else { continue }
                let before = start > 0 ? buffer[start - 1] : UInt8(ascii: "/")
                let after = index < count ? buffer[index] : UInt8(ascii: "/")
                guard Self.isBoundary(before), Self.isBoundary(after) else { continue }
                let digits = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
                if snowflakes[digits] == nil { snowflakes[digits] = snowflakes.count + 1 }
            }
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isBoundary(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["),
            UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "?"), UInt8(ascii: "="),
            UInt8(ascii: "&"), 0x20, 0x09, 0x0A, 0x0D:
            true
        default: false
        }
    }

    // MARK: Values

    /// The alias of a snowflake, assigning the next one if it was not seen in the pre-scan.
    mutating func snowflakeAlias(_ digits: String) -> String {
        guard aliasesSnowflakes else { return digits }
        if let known = snowflakes[digits] { return "<id-\(known)>" }
        let next = snowflakes.count + 1
        snowflakes[digits] = next
        return "<id-\(next)>"
    }

    mutating func sessionAlias(_ id: String) -> String {
        registerSession(id)
        return "<session-\(sessions[id]!)>"
    }

    /// A normalised client frame.
    mutating func normaliseFrame(_ frame: JSONValue, op: Int?) -> JSONValue {
        var value = normalise(frame, key: nil)
        if op == GatewayOpcode.identify.rawValue, case .object(let properties)? = frame["d"]?["properties"] {
            var keys: [String: JSONValue] = [:]
            for key in properties.keys { keys[key] = "<any>" }
            if case .object(var data)? = value["d"] {
                data["properties"] = .object(keys)
                value["d"] = .object(data)
            }
        }
        if op == GatewayOpcode.heartbeat.rawValue, let data = value["d"], !data.isNull {
            value["d"] = "<seq>"
        }
        return value
    }

    /// A normalised REST path: snowflake segments aliased; also returns the path with `{id}` in their
    /// place (for the step's label, so calls to different channels align as one changed step).
    mutating func normalisePath(_ path: String) -> (aliased: String, shape: String) {
        var aliased: [Substring] = []
        var shape: [Substring] = []
        let (route, query) = Self.splitQuery(path)
        for segment in route.split(separator: "/", omittingEmptySubsequences: false) {
            if Self.isSnowflake(segment) {
                aliased.append(Substring(snowflakeAlias(String(segment))))
                shape.append("{id}")
            } else {
                aliased.append(segment)
                shape.append(segment)
            }
        }
        return (aliased.joined(separator: "/") + query, shape.joined(separator: "/"))
    }

    private static func splitQuery(_ path: String) -> (Substring, String) {
        guard let mark = path.firstIndex(of: "?") else { return (path[...], "") }
        return (path[..<mark], String(path[mark...]))
    }

    static func isSnowflake(_ text: some StringProtocol) -> Bool {
        let utf8 = text.utf8
        return utf8.count >= 17 && utf8.count <= 20 && utf8.allSatisfy(isDigit)
    }

    static func isTimestampKey(_ key: String) -> Bool {
        key == "since" || key == "timestamp" || key.hasSuffix("_timestamp") || key.hasSuffix("_at")
    }

    /// `2024-01-01T00:00:01...`: the ISO-8601 shape Discord uses.
    static func looksLikeTimestamp(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count >= 19 else { return false }
        for (position, byte) in utf8.prefix(19).enumerated() {
            switch position {
            case 4, 7: if byte != UInt8(ascii: "-") { return false }
            case 10: if byte != UInt8(ascii: "T") { return false }
            case 13, 16: if byte != UInt8(ascii: ":") { return false }
            default: if !isDigit(byte) { return false }
            }
        }
        return true
    }

    mutating func normalise(_ value: JSONValue, key: String?) -> JSONValue {
        if let key, !value.isNull {
            switch key {
            case "token": return "<token>"
            case "nonce": return "<nonce>"
            case "session_id":
                if let id = value.stringValue { return .string(sessionAlias(id)) }
            default:
                if Self.isTimestampKey(key) { return "<timestamp>" }
            }
        }
        switch value {
        case .string(let text):
            if Self.isSnowflake(text) { return .string(snowflakeAlias(text)) }
            if Self.looksLikeTimestamp(text) { return "<timestamp>" }
            return value
        case .int(let number) where number >= 10_000_000_000_000_000:
            return .string(snowflakeAlias(String(number)))
        case .object(let object):
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(object.count)
            for (member, child) in object { result[member] = normalise(child, key: member) }
            return .object(result)
        case .array(let items):
            return .array(items.map { normalise($0, key: nil) })
        default:
            return value
        }
    }
}
