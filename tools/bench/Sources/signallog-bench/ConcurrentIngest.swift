import Synchronization
import Foundation
import GRDBSQLite
import SegmentLog

/// Workload 1, `always` with several writers: threads appending batches at
/// the same time. SignalLog's group commit lets one fdatasync cover every
/// batch written before it; SQLite (one connection per thread, FULL) runs
/// one transaction and one sync at a time. Records are split round-robin
/// by batch between the threads.
struct ConcurrentIngest {
    let buffers: CorpusBuffers

    func runSignalLog(directory: String, batch: Int, writers: Int, records: Int) throws(BenchFailure) -> IngestResult {
        let workload = "SignalLog ingest always batch \(batch) × \(writers) writers"
        let clock = ManualClock(microseconds: Timeline.origin)
        var options = LogOptions()
        options.durability = .always
        options.clock = clock
        let log = try engine(workload) { () throws(SegmentLogError) in try SegmentLog.open(directory: directory, options: options) }
        let buffers = self.buffers
        ProcessStats.resetPeakResident()
        let residentBefore = ProcessStats.residentBytes()
        let writtenBefore = ProcessStats.bytesWrittenBySyscalls()
        let (seconds, failure) = Self.inThreads(writers) { thread in
            let keys = buffers.keys
            var first = thread * batch
            while first < records {
                let end = min(first + batch, records), start = first
                clock.advance(byMicroseconds: Int64(end - start))
                try log.appendBatch { (builder) throws(SegmentLogError) in
                    for j in start..<end {
                        try builder.add(kind: 1, partition: keys[buffers.partition(j)], payload: buffers.payload(j))
                    }
                }
                first += writers * batch
            }
        }
        if let failure { throw .engine(workload: workload, error: failure) }
        return try SegmentLogIngest.finish(
            log, workload: workload, buffers: buffers, directory: directory, policy: .always, batch: batch, writers: writers,
            records: records, seconds: seconds, writtenBefore: writtenBefore, residentBefore: residentBefore)
    }

    func runSQLite(path: String, batch: Int, writers: Int, records: Int) throws(BenchFailure) -> IngestResult {
        let workload = "SQLite ingest FULL batch \(batch) × \(writers) writers"
        try SQLiteSignalStore.create(path: path, synchronous: "FULL").close()
        let buffers = self.buffers
        ProcessStats.resetPeakResident()
        let residentBefore = ProcessStats.residentBytes()
        let writtenBefore = ProcessStats.bytesWrittenBySyscalls()
        let (seconds, failure) = Self.inThreads(writers) { thread in
            let db = try SQLiteDatabase(path: path)
            try db.execute("PRAGMA busy_timeout=60000; PRAGMA synchronous=FULL; PRAGMA cache_size=-\(SQLiteSignalStore.cacheKiB);")
            let insert = try db.prepare(SQLiteSignalStore.insertSQL)
            let begin = try db.prepare("BEGIN IMMEDIATE")
            let commit = try db.prepare("COMMIT")
            var first = thread * batch
            while first < records {
                let end = min(first + batch, records)
                let timestamp = Timeline.origin + Int64(end)
                try SQLiteSignalStore.insertTransaction(first..<end, timestamp: timestamp, buffers: buffers,
                                                        begin: begin, insert: insert, commit: commit)
                first += writers * batch
            }
        }
        if let failure { throw .engine(workload: workload, error: failure) }
        let peak = ProcessStats.peakResidentBytes()
        let db = try SQLiteSignalStore.open(path: path)
        let stored = try db.integer("SELECT count(*) FROM signals")
        db.close()
        let written = ProcessStats.bytesWrittenBySyscalls() - writtenBefore
        try BenchFailure.expect(workload, expected: records, got: Int(stored))
        return IngestResult(
            system: "SQLite", policy: .always, batch: batch, writers: writers, records: records, seconds: seconds,
            closeSeconds: 0, inputBytes: buffers.corpus.inputBytes(records: records),
            bytesOnDisk: SQLiteSignalStore.bytesOnDisk(path: path), bytesWritten: written, peakResidentBytes: peak, residentBeforeBytes: residentBefore)
    }

    /// Runs `body(thread)` on `count` threads at once; returns the wall time
    /// until the last finished and the first error any of them threw.
    static func inThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> (Double, (any Error)?) {
        let failures = Mutex<[any Error]>([])
        let done = DispatchGroup()
        let start = Stopwatch.now()
        for thread in 0..<count {
            done.enter()
            Thread.detachNewThread {
                do { try body(thread) } catch { failures.withLock { $0.append(error) } }
                done.leave()
            }
        }
        done.wait()
        return (Stopwatch.seconds(since: start), failures.withLock { $0.first })
    }
}
