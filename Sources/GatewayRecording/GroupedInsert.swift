import CSQLite
import NIOCore

/// Appends rows to one table `groupSize` at a time with a single multi-row `INSERT … VALUES (…), (…)`,
/// which costs SQLite about half as much per row as one statement per row (one statement start, one
/// seek to the table's end, one cursor for the whole group).
///
/// Rows wait in the group until it is full; ``flush()`` inserts the rest one by one (the writer
/// calls it before every `COMMIT`, so a committed transaction holds every row appended in it).
/// Row order in the table is append order. Text is copied into the inserter's own arena and bound
/// without a further copy, so nothing a caller passes has to outlive `append(_:)`.
final class GroupedInsert<Row> {
    /// Binds one row's columns, in the order of `columns`, through the binder.
    typealias Binder = (Row, inout RowBinder) -> Void

    private let single: SQLiteStatement
    private let group: SQLiteStatement
    private let groupSize: Int
    private let columnCount: Int32
    private let bindRow: Binder
    private var pending: [Row] = []
    private let arena = TextArena()

    /// Prepares both statements for the table's columns but `skipped` (which the file fills in).
    init(
        _ db: SQLiteConnection, table description: RecordingTable, skipping skipped: String, groupSize: Int = 16,
        bind: @escaping Binder
    ) throws(SQLiteError) {
        let table = description.name
        let columns = description.columns.map(\.name).filter { $0 != skipped }
        self.groupSize = max(1, groupSize)
        self.columnCount = Int32(columns.count)
        self.bindRow = bind
        func values(_ row: Int) -> String {
            "(" + (1...columns.count).map { "?\(row * columns.count + $0)" }.joined(separator: ", ") + ")"
        }
        let head = "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES "
        single = try db.prepare(head + values(0), persistent: true)
        group = try db.prepare(head + (0..<self.groupSize).map(values).joined(separator: ", "), persistent: true)
        pending.reserveCapacity(self.groupSize)
    }

    /// Adds a row; inserts the group once it is full.
    @inline(__always)
    func append(_ row: Row) throws(SQLiteError) {
        pending.append(row)
        guard pending.count == groupSize else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        try insert(pending, with: group)
    }

    /// Inserts the rows still waiting, one statement each.
    func flush() throws(SQLiteError) {
        var failure: SQLiteError?
        for row in pending {
            do throws(SQLiteError) {
                try insert(CollectionOfOne(row), with: single)
            } catch {
                if failure == nil { failure = error }
            }
        }
        pending.removeAll(keepingCapacity: true)
        if let failure { throw failure }
    }

    /// Frees both statements (before the connection closes).
    func finalize() {
        single.finalize()
        group.finalize()
    }

    private func insert(_ rows: some Collection<Row>, with statement: SQLiteStatement) throws(SQLiteError) {
        defer { arena.reset() }
        var binder = RowBinder(statement: statement, arena: arena)
        for row in rows {
            bindRow(row, &binder)
            binder.nextRow(columns: columnCount)
        }
        try statement.run()
    }
}

/// Binds one row's columns in order (`GroupedInsert` moves it on to the next row's parameters).
struct RowBinder {
    fileprivate let statement: SQLiteStatement
    fileprivate let arena: TextArena
    private var base: Int32 = 0
    private var column: Int32 = 0

    fileprivate init(statement: SQLiteStatement, arena: TextArena) {
        self.statement = statement
        self.arena = arena
    }

    fileprivate mutating func nextRow(columns: Int32) {
        precondition(column == columns, "bound \(column) of \(columns) columns")
        base += columns
        column = 0
    }

    @inline(__always)
    private mutating func next() -> Int32 {
        column += 1
        return base + column
    }

    /// An integer column (`nil` binds NULL).
    @inline(__always)
    mutating func int(_ value: Int64?) {
        statement.bind(value, at: next())
    }

    /// An integer column (`nil` binds NULL).
    @inline(__always)
    mutating func int(_ value: Int?) {
        statement.bind(value, at: next())
    }

    /// A text column (`nil` binds NULL, `""` an empty string).
    @inline(__always)
    mutating func text(_ value: String?) {
        let index = next()
        guard var value else { return statement.bindNull(at: index) }
        value.withUTF8 { statement.bindTextNoCopy(arena.copy(UnsafeRawBufferPointer($0)), at: index) }
    }

    /// A text column from a buffer's readable bytes.
    @inline(__always)
    mutating func text(buffer: ByteBuffer) {
        let index = next()
        buffer.withUnsafeReadableBytes { statement.bindTextNoCopy(arena.copy($0), at: index) }
    }

    /// A text column from a string that lives for the whole program.
    @inline(__always)
    mutating func text(_ value: StaticString) {
        statement.bindStatic(value, at: next())
    }
}

/// Memory for the text of one statement's parameters: bump-allocated, never moved while the
/// statement holds pointers into it (a full chunk is kept and a larger one started), and reset
/// to one chunk after the statement ran. The statement's bindings still point here afterwards,
/// which is safe because every run binds all of its parameters anew before stepping.
final class TextArena {
    private var chunks: [UnsafeMutableRawBufferPointer] = []
    private var used = 0

    /// Copies `bytes` in and returns the copy.
    @inline(__always)
    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if chunks.isEmpty || chunks[chunks.count - 1].count - used < bytes.count {
            let size = max(bytes.count, (chunks.last?.count ?? 16 << 10) * 2)
            chunks.append(.allocate(byteCount: size, alignment: 16))
            used = 0
        }
        let target = chunks[chunks.count - 1].baseAddress! + used
        if let source = bytes.baseAddress { target.copyMemory(from: source, byteCount: bytes.count) }
        used += bytes.count
        return UnsafeRawBufferPointer(start: target, count: bytes.count)
    }

    /// Forgets everything copied; keeps only the largest chunk.
    func reset() {
        used = 0
        guard chunks.count > 1 else { return }
        let largest = chunks.removeLast()
        for chunk in chunks { chunk.deallocate() }
        chunks = [largest]
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }
}
