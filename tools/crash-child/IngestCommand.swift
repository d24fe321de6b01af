import TestSupport
#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// `ingest`: appends derived records until the log holds `--count`, one batch
/// of 1...`--batch-max` records at a time, each synced before it counts.
///
/// Before each append it reports `T first last` (attempted) and after the
/// append returns `A first last` (acknowledged); at the end `D next`. The
/// parent SIGKILLs it anywhere in between, or the engine kills itself at a
/// kill point (`SIGNALLOG_KILL_AT`). Each run resumes where the log ends, so
/// a sequence of killed children builds one large log.
struct IngestCommand {
    let arguments: ChildArguments

    func run() -> Never {
        let directory = arguments.string("dir")
        let count = UInt64(arguments.integer("count"))
        let batchMax = max(1, arguments.integer("batch-max", default: 32))
        let seed = arguments.unsigned("seed", default: 1)
        let retentionBytes = arguments.optionalString("retention-bytes").flatMap { Int64($0) }
        let explicitSync = arguments.optionalString("durability") == "explicit"

        var options = LogOptions()
        options.segmentMaxBytes = Int64(arguments.integer("segment-bytes", default: 64 * 1024))
        options.durability = explicitSync ? .os : .always
        let log: SegmentLog
        do {
            log = try SegmentLog.open(directory: directory, options: options)
        } catch {
            ParentPipe.fail("open: \(error)")
        }
        var next = log.nextSequence
        var batches = 0
        while next < count {
            var random = SplitMix64(seed: seed ^ (next &* 0x9E37_79B9_7F4A_7C15))
            let size = UInt64(1 + Int(random.next() % UInt64(batchMax)))
            let last = min(next + size, count) - 1
            let records = (next...last).map { AppendRecord(kind: DerivedRecord.kind($0), partition: DerivedRecord.partition($0), payload: DerivedRecord.payload($0)) }
            ParentPipe.send("T \(next) \(last)")
            do {
                let result = try log.append(records)
                if explicitSync { try log.sync() }
                guard result.firstSequence == next, result.lastSequence == last else {
                    ParentPipe.fail("append landed at \(result.firstSequence)...\(result.lastSequence), expected \(next)...\(last)")
                }
                ParentPipe.send("A \(next) \(last)")
                batches += 1
                if let retentionBytes, batches % 4 == 0 {
                    try log.applyRetention(RetentionPolicy(maxTotalBytes: retentionBytes))
                }
            } catch {
                ParentPipe.fail("append \(next)...\(last): \(error)")
            }
            next = last + 1
        }
        do { try log.close() } catch { ParentPipe.fail("close: \(error)") }
        ParentPipe.send("D \(next)")
        exit(0)
    }
}
