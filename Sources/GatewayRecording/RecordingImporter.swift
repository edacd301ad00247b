import CSQLite
import Foundation
import GatewayModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rebuilds a recording from the JSON lines of ``RecordingExporter`` (`gatewaytape import`).
///
/// Every row gets back its exact values: ids, `t_ns`, NULLs, and payload text byte for byte, so
/// `import(export(x))` has the same rows as `x` for the exported session. The new file is written
/// under a temporary name in the output's directory and renamed when complete; an existing output
/// is refused before anything is written unless `overwrite`.
///
/// ```swift
/// let summary = try RecordingImporter.importFile(from: "golden.jsonl", to: "golden.sqlite", overwrite: false)
/// print("\(summary.frames) frames")
/// ```
public enum RecordingImporter {
    /// How many rows an import wrote.
    public struct Summary: Sendable, Equatable {
        /// `meta` rows.
        public var meta = 0
        /// `sessions` rows.
        public var sessions = 0
        /// `connections` rows.
        public var connections = 0
        /// `frames` rows.
        public var frames = 0
        /// `controls` rows.
        public var controls = 0
        /// `http` rows.
        public var httpCalls = 0
    }

    /// Imports the JSON-lines file at `inputPath` (`-` for standard input) into a new recording.
    /// - Parameters:
    ///   - inputPath: the export file, or `-`.
    ///   - outputPath: the recording to create.
    ///   - overwrite: replace an existing `outputPath`.
    /// - Throws: ``RecordingError``: `.fileExists`, `.fileNotFound`, `.badExport` (with the line
    ///   number), `.newerVersion`, `.ioFailure`.
    @discardableResult
    public static func importFile(from inputPath: String, to outputPath: String, overwrite: Bool) throws(RecordingError)
        -> Summary
    {
        try FileSystem.checkOutput(outputPath, overwrite: overwrite)
        let input = try InputLines(path: inputPath)
        let name = inputPath == "-" ? "standard input" : inputPath
        return try write(to: outputPath, overwrite: overwrite) { (database) throws(RecordingError) in
            var summary = Summary()
            var sawHeader = false
            while let line = try input.next(name: name) {
                let number = input.lineNumber
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let decoded: ExportLine
                do throws(ExportLine.Invalid) {
                    decoded = try ExportLine(parsing: line)
                } catch {
                    throw RecordingError.badExport(name, line: number, error.message)
                }
                if case .header(let format, let version, _, let meta) = decoded {
                    guard !sawHeader else { throw RecordingError.badExport(name, line: number, "a second header line") }
                    sawHeader = true
                    try checkHeader(name, format: format, version: version)
                    for (key, value) in meta.sorted(by: { $0.key < $1.key }) {
                        try database.insert(.meta(key, value), name: name, line: number)
                        summary.meta += 1
                    }
                    continue
                }
                guard sawHeader else {
                    throw RecordingError.badExport(name, line: number, "the first line must be the header (\"kind\":\"meta\")")
                }
                try database.insert(.row(decoded), name: name, line: number)
                switch decoded {
                case .header: break
                case .session: summary.sessions += 1
                case .connection: summary.connections += 1
                case .frame: summary.frames += 1
                case .control: summary.controls += 1
                case .http: summary.httpCalls += 1
                }
            }
            guard sawHeader else { throw RecordingError.badExport(name, line: max(1, input.lineNumber), "the file is empty") }
            return summary
        }
    }

    private static func checkHeader(_ name: String, format: String, version: Int64?) throws(RecordingError) {
        let prefix = "gatewaytape-export/"
        guard format.hasPrefix(prefix), let exportVersion = Int(format.dropFirst(prefix.count)) else {
            throw RecordingError.badExport(name, line: 1, "format \"\(format)\" is not \(RecordingExporter.formatName)")
        }
        if exportVersion > RecordingExporter.formatVersion {
            throw RecordingError(
                code: .newerVersion, path: name,
                message: "\(name) is in export format \(format), newer than this gatewaytape reads "
                    + "(\(RecordingExporter.formatName)): upgrade gatewaytape to import it")
        }
        if let version, version > Int64(RecordingSchema.currentVersion) {
            throw RecordingError.newerVersion(name, found: version)
        }
    }

    // MARK: Writing the database

    /// Creates the recording under a temporary name, runs `body`, then closes and publishes it.
    private static func write<T>(
        to outputPath: String, overwrite: Bool, _ body: (ImportDatabase) throws(RecordingError) -> T
    ) throws(RecordingError) -> T {
        let temporary = FileSystem.temporaryPath(besides: outputPath)
        try FileSystem.createExclusively(temporary, overwrite: false, displayName: outputPath)
        do throws(RecordingError) {
            let database = try ImportDatabase(path: temporary, displayName: outputPath)
            let result: T
            do throws(RecordingError) {
                result = try body(database)
                try database.finish()
            } catch {
                database.abandon()
                throw error
            }
            try FileSystem.syncFile(temporary)
            try FileSystem.publish(temporary, as: outputPath, overwrite: overwrite)
            return result
        } catch {
            FileSystem.removeDatabase(temporary)
            throw error
        }
    }
}

/// The database side of an import: one transaction, one prepared statement per table.
private final class ImportDatabase {
    enum Row {
        case meta(String, String?)
        case row(ExportLine)
    }

    private let db: SQLiteConnection
    private let displayName: String
    private let meta, session, connection, frame, control, http: SQLiteStatement

    init(path: String, displayName: String) throws(RecordingError) {
        self.displayName = displayName
        do throws(SQLiteError) {
            db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE)
            _ = try db.textColumn("PRAGMA journal_mode = WAL")
            try db.execute("PRAGMA synchronous = OFF")
            try RecordingSchema.migrate(db)
            try db.execute("BEGIN")
            meta = try db.prepare(RecordingSchema.meta.insertSQL())
            session = try db.prepare(StoredSession.table.insertSQL())
            connection = try db.prepare(StoredConnection.table.insertSQL())
            frame = try db.prepare(StoredFrame.table.insertSQL())
            control = try db.prepare(StoredControl.table.insertSQL())
            http = try db.prepare(StoredHTTPCall.table.insertSQL())
        } catch {
            throw RecordingError.io(displayName, "create recording", error.message)
        }
    }

    func insert(_ row: Row, name: String, line: Int) throws(RecordingError) {
        func bound(_ value: some RecordingRow, _ statement: SQLiteStatement) -> SQLiteStatement {
            var sink = StatementRowSink(statement)
            value.write(to: &sink)
            return statement
        }
        let statement: SQLiteStatement
        switch row {
        case .meta(let key, let value):
            statement = meta
            statement.bind(key, at: 1)
            statement.bind(value, at: 2)
        case .row(.header):
            return
        case .row(.session(let value)): statement = bound(value, session)
        case .row(.connection(let value)): statement = bound(value, connection)
        case .row(.frame(let value)): statement = bound(value, frame)
        case .row(.control(let value)): statement = bound(value, control)
        case .row(.http(let value)): statement = bound(value, http)
        }
        do throws(SQLiteError) {
            try statement.run()
        } catch {
            if error.code == SQLITE_CONSTRAINT {
                throw RecordingError.badExport(name, line: line, "a row with this id (or key) came before")
            }
            throw RecordingError.writing(displayName, error)
        }
    }

    /// Commits, moves the WAL into the file (rollback-journal mode, as finished recordings are) and closes it.
    func finish() throws(RecordingError) {
        for statement in [meta, session, connection, frame, control, http] { statement.finalize() }
        do throws(SQLiteError) {
            try db.execute("COMMIT")
            try db.leaveWAL()
        } catch {
            db.close()
            throw RecordingError.writing(displayName, error)
        }
        db.close()
    }

    /// Rolls back and closes (the caller removes the file).
    func abandon() {
        for statement in [meta, session, connection, frame, control, http] { statement.finalize() }
        try? db.execute("ROLLBACK")
        db.close()
    }
}
