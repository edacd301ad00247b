import GatewayRecording

/// Number formatting shared by the report renderers and messages.
enum Format {
    /// `1000.3 ms`.
    static func ms(_ milliseconds: Double) -> String { JSONLine.fixed(milliseconds, decimals: 1) + " ms" }

    /// `12 %`.
    static func percent(_ fraction: Double) -> String { JSONLine.fixed(fraction * 100, decimals: 0) + " %" }

    /// `+1.234 s` for an offset in nanoseconds.
    static func offset(_ nanoseconds: Int64) -> String {
        (nanoseconds < 0 ? "-" : "+") + JSONLine.fixed(Double(abs(nanoseconds)) / 1e9, decimals: 3) + " s"
    }

    /// Milliseconds from nanoseconds, rounded to 3 decimals (for JSON).
    static func milliseconds(_ nanoseconds: Int64) -> Double {
        (Double(nanoseconds) / 1_000).rounded() / 1_000
    }

    /// Rounded to 3 decimals (for JSON).
    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
