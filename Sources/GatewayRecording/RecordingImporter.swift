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
            let decoder = JSONDecoder()
            var sawHeader = false
            while let line = try input.next(name: name) {
                let number = input.lineNumber
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let decoded: ExportLine
                do {
                    decoded = try decoder.decode(ExportLine.self, from: Data(line))
                } catch {
                    throw RecordingError.badExport(name, line: number, describe(error))
                }
                if case .header(let format, let version, _, let meta) = decoded {
                    guard !sawHeader else { throw RecordingError.badExport(name, line: number, "a second header line") }
                    sawHeader = true
                    try checkHeader(name, format: format, version: version)
                    for (key, value) in (meta ?? [:]).sorted(by: { $0.key < $1.key }) {
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

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let invalid as ExportLine.Invalid:
            return invalid.message
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            return key.isEmpty ? "not a JSON object" : "\"\(key)\" has the wrong type"
        case DecodingError.keyNotFound(let key, _):
            return "missing \"\(key.stringValue)\""
        case DecodingError.dataCorrupted:
            return "not valid JSON"
        default:
            return "\(error)"
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
            meta = try db.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)")
            session = try db.prepare("INSERT INTO sessions(id, name, token_sha256, created_ns) VALUES (?1, ?2, ?3, ?4)")
            connection = try db.prepare(
                """
                INSERT INTO connections(id, session_id, gateway_session_id, shard_id, shard_count, opened_ns, closed_ns,
                    close_code, close_reason, closed_by, query) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                """)
            frame = try db.prepare(
                """
                INSERT INTO frames(id, connection_id, session_id, t_ns, direction, op, seq, event, payload, wire_bytes)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                """)
            control = try db.prepare("INSERT INTO controls(id, session_id, t_ns, action, args) VALUES (?1, ?2, ?3, ?4, ?5)")
            http = try db.prepare(
                """
                INSERT INTO http(id, session_id, t_ns, method, path, status, request, response)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """)
        } catch {
            throw RecordingError.io(displayName, "create recording", error.message)
        }
    }

    func insert(_ row: Row, name: String, line: Int) throws(RecordingError) {
        let statement: SQLiteStatement
        switch row {
        case .meta(let key, let value):
            statement = meta
            statement.bind(key, at: 1)
            statement.bind(value, at: 2)
        case .row(.header):
            return
        case .row(.session(let value)):
            statement = session
            statement.bind(value.id, at: 1)
            statement.bind(value.name, at: 2)
            statement.bind(value.tokenSHA256, at: 3)
            statement.bind(value.createdNs, at: 4)
        case .row(.connection(let value)):
            statement = connection
            statement.bind(value.id, at: 1)
            statement.bind(value.sessionID, at: 2)
            statement.bind(value.gatewaySessionID, at: 3)
            statement.bind(value.shardID, at: 4)
            statement.bind(value.shardCount, at: 5)
            statement.bind(value.openedNs, at: 6)
            statement.bind(value.closedNs, at: 7)
            statement.bind(value.closeCode, at: 8)
            statement.bind(value.closeReason, at: 9)
            statement.bind(value.closedBy, at: 10)
            statement.bind(value.query, at: 11)
        case .row(.frame(let value)):
            statement = frame
            statement.bind(value.id, at: 1)
            statement.bind(value.connectionID, at: 2)
            statement.bind(value.sessionID, at: 3)
            statement.bind(value.tNs, at: 4)
            statement.bind(value.direction.rawValue, at: 5)
            statement.bind(value.op, at: 6)
            statement.bind(value.seq, at: 7)
            statement.bind(value.event, at: 8)
            statement.bind(text: value.payload, at: 9)
            statement.bind(value.wireBytes, at: 10)
        case .row(.control(let value)):
            statement = control
            statement.bind(value.id, at: 1)
            statement.bind(value.sessionID, at: 2)
            statement.bind(value.tNs, at: 3)
            statement.bind(value.action, at: 4)
            statement.bind(value.args, at: 5)
        case .row(.http(let value)):
            statement = http
            statement.bind(value.id, at: 1)
            statement.bind(value.sessionID, at: 2)
            statement.bind(value.tNs, at: 3)
            statement.bind(value.method, at: 4)
            statement.bind(value.path, at: 5)
            statement.bind(value.status, at: 6)
            statement.bind(value.request, at: 7)
            statement.bind(value.response, at: 8)
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

    /// Commits, checkpoints the WAL into the file and closes it.
    func finish() throws(RecordingError) {
        for statement in [meta, session, connection, frame, control, http] { statement.finalize() }
        do throws(SQLiteError) {
            try db.execute("COMMIT")
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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
