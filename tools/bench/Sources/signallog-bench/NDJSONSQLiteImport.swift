#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The peer column of the user's-path benchmark (tools/bench/ingest-path.sh):
/// what a Swift developer would write to import an NDJSON file of signals
/// into SQLite. Each line is parsed with Foundation's `JSONSerialization`,
/// its `partition_key` and `timestamp` (epoch milliseconds) are read, and
/// the row (time in µs, kind 1, partition, the line as payload) goes into
/// the benchmark's table of ``SQLiteSignalStore`` (WAL, `synchronous=OFF`,
/// indexes on time and on partition and time), one transaction per 1,000
/// rows through prepared statements.
enum NDJSONSQLiteImport {
    /// `signallog-bench --sqlite-import FILE DB`: prints the rows imported.
    static func run(_ arguments: [String]) throws(BenchFailure) {
        guard arguments.count == 2 else { throw .usage("--sqlite-import needs an NDJSON file and a database path") }
        let (file, path) = (arguments[0], arguments[1])
        SQLiteSignalStore.remove(path: path)
        let db = try SQLiteSignalStore.create(path: path, synchronous: "OFF")
        let begin = try db.prepare("BEGIN")
        let insert = try db.prepare(SQLiteSignalStore.insertSQL)
        let commit = try db.prepare("COMMIT")
        guard let input = fopen(file, "r") else { throw .io(operation: "open", path: file, errno: errno) }
        defer { fclose(input) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        var rows = 0, lineNumber = 0
        try begin.run()
        while true {
            let length = getline(&line, &capacity, input)
            guard length >= 0, let line else { break }
            lineNumber += 1
            let bytes = UnsafeRawBufferPointer(start: line, count: length).prefix { $0 != 10 }
            if bytes.isEmpty { continue }
            let text = UnsafeRawBufferPointer(rebasing: bytes)
            let object: [String: Any]
            do {
                guard let parsed = try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
                    throw BenchFailure.check(workload: "sqlite import", reason: "\(file):\(lineNumber): not a JSON object")
                }
                object = parsed
            } catch let failure as BenchFailure {
                throw failure
            } catch {
                throw .check(workload: "sqlite import", reason: "\(file):\(lineNumber): \(error)")
            }
            guard let partition = object["partition_key"] as? String, let millis = object["timestamp"] as? NSNumber else {
                throw .check(workload: "sqlite import", reason: "\(file):\(lineNumber): no partition_key or numeric timestamp")
            }
            insert.bind(1, millis.int64Value * 1000)
            insert.bind(2, 1)
            insert.bindBlob(4, text)
            // The key is bound without a copy, so the row is stepped while its bytes are in scope.
            var key = partition
            try key.withUTF8 { utf8 in
                insert.bindText(3, UnsafeRawBufferPointer(utf8))
                return Result { () throws(BenchFailure) in try insert.run() }
            }.get()
            rows += 1
            if rows % 1000 == 0 {
                try commit.run()
                try begin.run()
            }
        }
        try commit.run()
        let stored = try db.integer("SELECT count(*) FROM signals")
        guard stored == Int64(rows) else { throw .wrongCount(workload: "sqlite import", expected: rows, got: Int(stored)) }
        db.close()
        print("imported \(rows) rows into \(path)")
    }
}
