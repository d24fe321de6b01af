import TestSupport
import Foundation
import Synchronization
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #15: readers beside a writer never see a partial batch and
/// never block it.
///
/// In one process: two reader threads take snapshot after snapshot while
/// the writer appends 5-record batches and rotates; every snapshot must be
/// a whole number of batches, in order and byte-identical. A reader that
/// stops half-way through its snapshot holds nothing the writer waits on:
/// the writer completes hundreds of appends and rotations meanwhile, and
/// the reader then finishes exactly its snapshot.
///
/// Across processes: while `slog-crash-child` ingests (fsync per batch,
/// rotating), this process opens the log read-only again and again; every
/// open succeeds and reads a contiguous, correct prefix. The rare race in
/// which the writer renames a temporary file between the reader's `readdir`
/// and `lstat` is also forced, in a child that makes such entries vanish.
@Suite("Readers beside a writer (reliability scenario #15)")
struct ConcurrentReaderTests {
    @Test func inProcessReadersSeeOnlyWholeBatches() throws {
        let directory = TemporaryDirectory("readers")
        var options = LogOptions()
        options.segmentMaxBytes = 8192
        options.clock = ManualClock()
        let log = try SpawnGate.open(directory.child(), options: options)
        let batches = 400
        let shared = SharedReaderState()
        let finished = (0..<2).map { _ in DispatchSemaphore(value: 0) }
        for semaphore in finished {
            Thread.detachNewThread {
                while !shared.done.load(ordering: .acquiring) {
                    let run = QueryRun(log, LogQuery())
                    let count = run.records.count
                    if let error = run.error { shared.note("a snapshot failed: \(error)") }
                    if count % 5 != 0 { shared.note("a snapshot ended inside a batch: \(count) records") }
                    if run.sequences != Array(0..<UInt64(count)) { shared.note("a snapshot is not contiguous") }
                    if let corrupt = run.corruptRecord { shared.note("a snapshot returned \(corrupt)") }
                    shared.snapshots.add(1, ordering: .relaxed)
                }
                semaphore.signal()
            }
        }
        // A reader paused in the middle of its snapshot.
        try log.append((0..<5).map(DerivedRecord.append))
        let paused = log.read()
        _ = try paused.next()
        for batch in 1..<batches {
            let first = UInt64(batch * 5)
            try log.append((first..<first + 5).map(DerivedRecord.append))
        }
        #expect(log.segments().count > 3, "the writer did not rotate while readers ran")
        shared.done.store(true, ordering: .releasing)
        for semaphore in finished { semaphore.wait() }
        var rest = 1
        while try paused.next() != nil { rest += 1 }
        #expect(rest == 5, "the paused reader's snapshot changed to \(rest) records")
        let problems = shared.problems.withLock { $0 }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(shared.snapshots.load(ordering: .relaxed) > 0)
        try log.close()
    }

    @Test func readOnlyOpensBesideAWriterProcess() throws {
        let seed = FaultScale.seed(for: "reader-beside-child")
        let directory = TemporaryDirectory("readers-child")
        let path = directory.child()
        let child = try ChildProcess(["ingest", "--dir", path, "--count", "6000", "--batch-max", "16", "--segment-bytes", "16384", "--seed", "\(seed)"])
        var run = IngestRun()
        var opens = 0
        while let line = child.readLine() {
            run.note(line)
            guard run.acknowledgements % 8 == 1 else { continue }
            let acknowledged = run.acknowledged ?? 0
            do {
                let inspector = try SegmentLog.openReadOnly(directory: path)
                let next = inspector.nextSequence
                #expect(next > acknowledged, "FAULT_SEED=\(seed): a read-only open beside the writer misses acknowledged \(acknowledged)")
                if let problem = CrashCheck.recordProblem(inspector, from: 0, through: next) {
                    Issue.record("FAULT_SEED=\(seed): read-only beside the writer: \(problem)")
                }
                try inspector.close()
                opens += 1
            } catch {
                Issue.record("FAULT_SEED=\(seed): a read-only open beside the writer failed: \(error)")
            }
        }
        #expect(child.exitCode == 0 && run.finished, "FAULT_SEED=\(seed): the writer did not finish: \(run.lines)")
        #expect(opens > 10)
        CrashCheck(context: "after readers (FAULT_SEED=\(seed))").verify(path, acknowledged: 5999, attempted: 5999)
    }

    @Test func anEntryRenamedDuringTheListingIsNotRefused() throws {
        let directory = TemporaryDirectory("vanishing")
        let path = directory.child()
        let log = try SpawnGate.open(path)
        try log.append((0..<5).map(DerivedRecord.append))
        try log.close()
        // A writer is creating the next segment: its temporary name is listed,
        // then renamed away before the reader looks at it.
        FileManager.default.createFile(atPath: path + "/00000000000000000005.seg.tmp", contents: Data())
        let child = try ChildProcess(["open-readonly", "--dir", path, "--vanish", ".seg.tmp"])
        let lines = child.drain()
        #expect(lines.contains("R ok 5"), "a read-only open failed when an entry vanished between readdir and lstat: \(lines)")
    }
}
