/// The SQLite side's schema and settings: one table of records (sequence as
/// the rowid, append time, kind, partition, payload) with an index on time
/// and one on (partition, time), in WAL mode — what a Swift developer would
/// set up to store and query signals by time and partition — with a 64 MiB
/// page cache instead of the default 2 MiB, without which inserts into the
/// partition index thrash the cache once the table outgrows it (SQLite at
/// its defaults is several times slower at 2 M rows).
enum SQLiteSignalStore {
    static let schema = """
        CREATE TABLE IF NOT EXISTS signals(
            seq INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            partition TEXT NOT NULL,
            payload BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS signals_ts ON signals(ts);
        CREATE INDEX IF NOT EXISTS signals_partition_ts ON signals(partition, ts);
        """

    static let insertSQL = "INSERT INTO signals(ts, kind, partition, payload) VALUES (?1, ?2, ?3, ?4)"

    /// Inserts corpus records `range`, all stamped `timestamp`, as one
    /// transaction through prepared `begin`, `insert` (``insertSQL``) and `commit`.
    static func insertTransaction(_ range: Range<Int>, timestamp: Int64, buffers: CorpusBuffers,
                                  begin: SQLiteStatement, insert: SQLiteStatement, commit: SQLiteStatement) throws(BenchFailure) {
        try begin.run()
        for j in range {
            insert.bind(1, timestamp)
            insert.bind(2, 1)
            insert.bindText(3, buffers.keyBytes(buffers.partition(j)))
            insert.bindBlob(4, buffers.payload(j))
            try insert.run()
        }
        try commit.run()
    }

    /// Page cache per connection, in KiB (a negative cache_size is KiB).
    static let cacheKiB = 65536

    /// Opens (creating) a database in WAL mode with the schema and `synchronous` setting.
    static func create(path: String, synchronous: String) throws(BenchFailure) -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=\(synchronous); PRAGMA cache_size=-\(cacheKiB);")
        try db.execute(schema)
        return db
    }

    /// Opens an existing database for queries.
    static func open(path: String) throws(BenchFailure) -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA cache_size=-\(cacheKiB);")
        return db
    }

    /// The database file plus its WAL and shared-memory files.
    static func bytesOnDisk(path: String) -> Int {
        DirectorySize.bytes(ofFile: path) + DirectorySize.bytes(ofFile: path + "-wal") + DirectorySize.bytes(ofFile: path + "-shm")
    }

    static func remove(path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { DirectorySize.remove(path + suffix) }
    }
}
