import GRDBSQLite

/// A thin wrapper over the SQLite C API (the peer system): open a database,
/// run statements, prepare and step statements. Prepared statements with
/// static bindings are the fastest way a Swift program can use SQLite, so
/// the comparison is against SQLite at its best.
final class SQLiteDatabase {
    let path: String
    private(set) var handle: OpaquePointer?

    init(path: String) throws(BenchFailure) {
        self.path = path
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        handle = db
        if code != SQLITE_OK {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            handle = nil
            throw .sqlite(operation: "open \(path)", code: code, message: message)
        }
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(BenchFailure) {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        if code != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw .sqlite(operation: sql, code: code, message: message)
        }
    }

    func prepare(_ sql: String) throws(BenchFailure) -> SQLiteStatement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw .sqlite(operation: "prepare \(sql)", code: code, message: lastError)
        }
        return SQLiteStatement(statement, database: self, sql: sql)
    }

    /// The single integer a query returns (for counts and pragmas).
    func integer(_ sql: String) throws(BenchFailure) -> Int64 {
        let statement = try prepare(sql)
        guard try statement.step() else { throw .sqlite(operation: sql, code: SQLITE_DONE, message: "returned no row") }
        return statement.int64(0)
    }

    var lastError: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    deinit { close() }
}

/// A prepared SQLite statement; finalized when released.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private let database: SQLiteDatabase
    private let sql: String

    init(_ statement: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.statement = statement
        self.database = database
        self.sql = sql
    }

    /// Steps once: true when a row is available, false when done.
    @inline(__always)
    func step() throws(BenchFailure) -> Bool {
        let code = sqlite3_step(statement)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw .sqlite(operation: "step \(sql)", code: code, message: database.lastError)
    }

    /// Steps a statement that returns no rows, then resets it for reuse.
    @inline(__always)
    func run() throws(BenchFailure) {
        _ = try step()
        sqlite3_reset(statement)
    }

    @inline(__always)
    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    @inline(__always)
    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }

    /// Binds text without copying: the bytes must stay valid until the next step.
    @inline(__always)
    func bindText(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        sqlite3_bind_text(statement, index, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Binds a blob without copying: the bytes must stay valid until the next step.
    @inline(__always)
    func bindBlob(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), nil)
    }

    @inline(__always)
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    /// The bytes of a blob or text column, valid until the next step.
    @inline(__always)
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        let base = sqlite3_column_blob(statement, column)
        let count = Int(sqlite3_column_bytes(statement, column))
        return UnsafeRawBufferPointer(start: base, count: count)
    }

    deinit { sqlite3_finalize(statement) }
}
