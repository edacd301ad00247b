/// Reads a row's columns from the current row of a SQLite statement, in order from column 0.
struct StatementRowSource: RowSource {
    private let statement: SQLiteStatement
    private var column: Int32 = 0

    init(_ statement: SQLiteStatement) {
        self.statement = statement
    }

    private mutating func next() -> Int32 {
        defer { column += 1 }
        return column
    }

    mutating func integer() throws(RowError) -> Int64? { statement.int64(next()) }
    mutating func text() throws(RowError) -> String? { statement.string(next()) }
    mutating func bytes() throws(RowError) -> [UInt8]? { statement.bytes(next()) }
    /// A NULL in a file reads as the default value.
    func requireValue() throws(RowError) {}
}

/// Binds a row's columns to a statement's parameters, in order from `?1`.
struct StatementRowSink: RowSink {
    private let statement: SQLiteStatement
    private var parameter: Int32 = 0

    init(_ statement: SQLiteStatement) {
        self.statement = statement
    }

    private mutating func next() -> Int32 {
        parameter += 1
        return parameter
    }

    mutating func integer(_ value: Int64?) { statement.bind(value, at: next()) }
    mutating func text(_ value: String?) { statement.bind(value, at: next()) }
    mutating func bytes(_ value: [UInt8]?) { statement.bind(text: value, at: next()) }
}
