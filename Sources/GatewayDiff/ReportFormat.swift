/// How ``ComparisonReport/render(format:)`` writes a report.
public enum ReportFormat: Sendable, Hashable {
    /// For people; `color` adds ANSI colours (use it only when the output is a terminal).
    case text(color: Bool)
    /// One JSON document (schema in ``ComparisonReport``'s documentation).
    case json
}
