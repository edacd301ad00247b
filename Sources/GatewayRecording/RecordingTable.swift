/// One table of the recording format (SPEC §7): its name and columns, from which the schema, the
/// reader's queries, the importer's inserts and the JSON lines of `export` and `inspect` are derived.
struct RecordingTable: Sendable {
    /// One column.
struct Column: Sendable {
        /// What a column holds, which decides how it is declared and written as JSON.
enum Kind: Sendable {
            /// `INTEGER`.
            case integer
            /// `TEXT`.
            case text
            /// `TEXT` holding JSON (`inspect` embeds it as JSON; `export` keeps the exact text).
            case json
            /// `TEXT` kept byte for byte (a frame's payload): exported last, as `<name>_base64` when it
            /// is not valid UTF-8.
            case payload
        }

        /// The column's name.
var name: String
        /// What it holds.
var kind: Kind
        /// Whether it was added after format version 1, so that older or third-party files may lack it
        /// (a reader reads it as NULL).
var isAddition: Bool

        init(_ name: String, _ kind: Kind, addition: Bool = false) {
            self.name = name
            self.kind = kind
            self.isAddition = addition
        }

        var sqlType: String { kind == .integer ? "INTEGER" : "TEXT" }
    }

    /// The table's name.
var name: String
    /// Its columns in SPEC §7 order; the first is the primary key.
var columns: [Column]
    /// The `kind` of its rows' lines in `export` (`frame` for `frames`).
var lineKind: String

    init(_ name: String, lineKind: String, _ columns: [Column]) {
        self.name = name
        self.lineKind = lineKind
        self.columns = columns
    }

    /// `CREATE TABLE IF NOT EXISTS` with every column.
    var createSQL: String {
        let definitions = columns.enumerated().map { index, column in
            "\(column.name) \(column.sqlType)" + (index == 0 ? " PRIMARY KEY" : "")
        }
        return "CREATE TABLE IF NOT EXISTS \(name)(\(definitions.joined(separator: ", ")))"
    }

    /// `INSERT INTO` the given columns (default: all), parameters `?1…` in the same order.
    func insertSQL(columns names: [String]? = nil) -> String {
        let names = names ?? columns.map(\.name)
        let parameters = (1...names.count).map { "?\($0)" }.joined(separator: ", ")
        return "INSERT INTO \(name)(\(names.joined(separator: ", "))) VALUES (\(parameters))"
    }

    /// The `SELECT` list that reads every column from a table that has `present` columns: a missing
    /// addition reads as NULL.
    /// - Returns: the list, or the name of a missing column that is not an addition.
    func selectList(present: Set<String>) -> Result<String, MissingColumn> {
        var items: [String] = []
        for column in columns {
            if present.contains(column.name) {
                items.append(column.name)
            } else if column.isAddition {
                items.append("NULL")
            } else {
                return .failure(MissingColumn(table: name, column: column.name))
            }
        }
        return .success(items.joined(separator: ", "))
    }

    /// A column a file lacks that every recording must have.
    struct MissingColumn: Error {
        var table: String
        var column: String
    }
}

/// A row type of a recording table: reads itself from and writes itself to any row representation
/// (a SQLite row, an export line), one value per column in the table's column order.
protocol RecordingRow: Sendable {
    /// The table the rows belong to.
    static var table: RecordingTable { get }
    /// Reads the columns in order.
    init<Source: RowSource>(from row: inout Source) throws(RowError)
    /// Writes the columns in order.
    func write<Sink: RowSink>(to row: inout Sink)
}

/// A value that is not valid for its column (the reader or decoder adds where it was).
struct RowError: Error, Sendable {
    /// What is wrong, e.g. `direction must be "in" or "out", not "up"`.
var message: String
    init(_ message: String) { self.message = message }
}

/// Where a row's values come from, column after column.
protocol RowSource {
    /// The next column's integer (`nil` for NULL).
    mutating func integer() throws(RowError) -> Int64?
    /// The next column's text (`nil` for NULL).
    mutating func text() throws(RowError) -> String?
    /// The next column's text as bytes, exactly as stored (`nil` for NULL).
    mutating func bytes() throws(RowError) -> [UInt8]?
    /// Called when the column just read was NULL but the row type needs a value: throws where a
    /// value is mandatory (an export line), returns where NULL reads as a default (a SQLite file).
    func requireValue() throws(RowError)
}

extension RowSource {
    /// The next column's integer as `Int`.
    mutating func int() throws(RowError) -> Int? {
        try integer().map { Int(truncatingIfNeeded: $0) }
    }

    /// The next column's integer; NULL is 0 (or an error, see ``requireValue()``).
    mutating func requiredInteger() throws(RowError) -> Int64 {
        if let value = try integer() { return value }
        try requireValue()
        return 0
    }

    /// The next column's text; NULL is `""` (or an error, see ``requireValue()``).
    mutating func requiredText() throws(RowError) -> String {
        if let value = try text() { return value }
        try requireValue()
        return ""
    }
}

/// Where a row's values go, column after column.
protocol RowSink {
    /// The next column's integer (`nil` for NULL).
    mutating func integer(_ value: Int64?)
    /// The next column's text (`nil` for NULL).
    mutating func text(_ value: String?)
    /// The next column's text as bytes, exactly (`nil` for NULL).
    mutating func bytes(_ value: [UInt8]?)
}

extension RowSink {
    /// The next column's integer.
    mutating func int(_ value: Int?) {
        integer(value.map { Int64($0) })
    }
}
