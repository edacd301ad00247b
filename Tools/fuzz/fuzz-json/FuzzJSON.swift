import FuzzDriver
import GatewayModel

/// The JSON reader every client frame, control-API body and fixture goes through: any bytes either
/// fail to parse or give a value whose text parses back to a value with the same text.
@main
enum FuzzJSON {
    static func main() { fuzzMain(fuzzOne) }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    guard let value = try? JSONValue(parsing: bytes) else { return 0 }
    let text = value.jsonBytes
    guard let again = try? JSONValue(parsing: text) else { fatalError("the text of a parsed value does not parse: \(value)") }
    precondition(again.jsonBytes == text, "the text of a value is not stable: \(value)")
    _ = value["op"]?.int64Value
    return 0
}
