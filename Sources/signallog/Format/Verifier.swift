/// Checks a log directory against the format: every batch's checksum,
/// lengths and decompression, every index against its segment, sequence and
/// time monotonicity. Read-only; takes no lock.
struct Verifier {
    enum Severity: String, Comparable {
        case note, warning, error
        static func < (a: Severity, b: Severity) -> Bool {
            let order: [Severity] = [.note, .warning, .error]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }

    struct Problem {
        var severity: Severity
        /// A stable identifier of the kind of problem (docs/cli.md).
        var code: String
        var file: String
        var offset: Int64?
        var message: String
    }

    /// What a segment turned out to hold, for `repair`.
    struct SegmentResult {
        var base: UInt64
        var path: String
        var isLast: Bool
        var scan: SegmentScan?
        var index: IndexContents?
        var indexProblem: String?
        var hasIndexFile: Bool
        /// The index file exists but does not describe the segment.
        var indexStale: Bool = false
        /// For the active segment: records its clean-close or checkpoint
        /// index says were durable but that the segment no longer holds
        /// readably (bytes damaged or cut off before that point).
        var lostBeforeDurablePoint: (offset: Int64, missing: Range<UInt64>)?
    }

    struct Report {
        var problems: [Problem] = []
        var segments: [SegmentResult] = []
        var batches = 0
        var records: UInt64 = 0
        var bytes: Int64 = 0
        var lostPlaceholders: UInt64 = 0
        var unusable: String?

        var errors: Int { problems.filter { $0.severity == .error }.count }
        var warnings: Int { problems.filter { $0.severity == .warning }.count }
    }

    let listing: LogDirectory
    /// A writer holds the lock: the active segment's tail may be mid-write.
    let writerLive: Bool

    func run() -> Report {
        var report = Report()
        for name in listing.foreign {
            report.problems.append(Problem(severity: .error, code: "foreign-file", file: name, offset: nil,
                message: "is not a file of a log; the engine refuses to open a directory holding it"))
        }
        for name in listing.temporaries {
            report.problems.append(Problem(severity: .warning, code: "temporary-file", file: name, offset: nil,
                message: "leftover of an interrupted write (removed at the next writable open or by repair)"))
        }
        for base in listing.indexes.subtracting(listing.segments).sorted() {
            report.problems.append(Problem(severity: .warning, code: "orphan-index", file: OnDisk.indexName(base), offset: nil,
                message: "index without its segment (left by interrupted retention; removed at the next writable open or by repair)"))
        }
        var expectedBase: UInt64? = nil
        var previousMaxTime: Int64? = nil
        for (position, base) in listing.segments.enumerated() {
            let isLast = position == listing.segments.count - 1
            let name = OnDisk.segmentName(base)
            let path = listing.segmentPath(base)
            var result = SegmentResult(base: base, path: path, isLast: isLast, hasIndexFile: listing.indexes.contains(base))
            func problem(_ severity: Severity, _ code: String, _ offset: Int64?, _ message: String, file: String = name) {
                report.problems.append(Problem(severity: severity, code: code, file: file, offset: offset, message: message))
            }
            let file: RawFile
            do {
                file = try RawFile(path: path)
            } catch {
                if writerLive && error.code == 2 {
                    problem(.note, "removed-during-verify", nil, "removed while being verified (retention by the live writer)")
                } else {
                    problem(.error, "unreadable-file", nil, "\(error)")
                }
                report.segments.append(result)
                continue
            }
            let size = file.size()
            report.bytes += size

            if result.hasIndexFile {
                let indexPath = listing.indexPath(base)
                let indexName = OnDisk.indexName(base)
                do {
                    let indexFile = try RawFile(path: indexPath)
                    let indexSize = indexFile.size()
                    if indexSize > Int64(OnDisk.maxIndexBytes) {
                        result.indexProblem = "index file is \(indexSize) bytes, over the limit of \(OnDisk.maxIndexBytes)"
                        problem(.error, "index-unreadable", 0, result.indexProblem!, file: indexName)
                    } else {
                        let bytes = try indexFile.read(at: 0, count: Int(indexSize))
                        report.bytes += indexSize
                        switch bytes.withUnsafeBytes({ IndexContents.parse($0) }) {
                        case .success(let index): result.index = index
                        case .failure(let failure):
                            result.indexProblem = failure.reason
                            problem(.error, "index-unreadable", failure.offset, failure.reason + " (the index is rebuilt from its segment by repair)", file: indexName)
                        }
                    }
                } catch {
                    if writerLive && error.code == 2 {
                        // Retention removes the index first, then the segment.
                        result.hasIndexFile = false
                        problem(.note, "removed-during-verify", nil, "index removed while being verified (retention by the live writer)", file: indexName)
                    } else {
                        result.indexProblem = "\(error)"
                        problem(.error, "index-unreadable", nil, "\(error)", file: indexName)
                    }
                }
            } else if !isLast {
                problem(.warning, "index-missing", nil, "sealed segment has no index file \(OnDisk.indexName(base)) (rebuilt at the next writable open or by repair)")
            }

            let scan: SegmentScan
            do {
                scan = try SegmentScan.scan(file: file, size: size, nameBase: base, blockStarts: result.index?.entries.map(\.offset), previousMaxTimestamp: previousMaxTime)
            } catch {
                problem(.error, "unreadable-file", nil, "\(error)")
                report.segments.append(result)
                continue
            }
            result.scan = scan
            if let headerProblem = scan.headerProblem {
                if headerProblem.unsupported {
                    report.unusable = "\(path): \(headerProblem.reason)"
                    report.segments.append(result)
                    return report
                }
                problem(.error, "segment-header", headerProblem.offset, headerProblem.reason)
            } else if let header = scan.header, header.baseSequence != base {
                problem(.error, "segment-header", 16, "file name says base sequence \(base) but the header says \(header.baseSequence)")
            }
            if let expected = expectedBase, base != expected {
                let text = base > expected
                    ? "sequences \(expected)…\(base - 1) are missing between the previous segment and this one"
                    : "starts at sequence \(base) but the previous segment already reached \(expected - 1)"
                problem(.error, "sequence-gap", 0, text)
            }
            for damage in scan.damage {
                var text = "\(damage.length) unreadable bytes: \(damage.reason)"
                if !damage.missing.isEmpty { text += "; sequences \(damage.missing.lowerBound)…\(damage.missing.upperBound - 1) cannot be read" }
                problem(.error, "damaged-range", damage.offset, text)
            }
            // The active segment's index (from a clean close or a checkpoint)
            // marks a durable point: the bytes before it were synced, so a
            // crash cannot have torn them. Unreadable or missing bytes there
            // are corruption, not a torn tail (docs/format.md).
            var durableDamage = false
            if isLast, let index = result.index, scan.headerProblem == nil {
                let indexName = OnDisk.indexName(base)
                let durableNext = index.lastSequence.map { $0 + 1 } ?? base
                if index.segmentLength < Int64(OnDisk.segmentHeaderSize) {
                    result.indexProblem = "segment length \(index.segmentLength) is shorter than a segment header"
                    problem(.error, "index-mismatch", 24, "the index says the segment is \(index.segmentLength) bytes long, which no segment can be (the index is rebuilt from its segment by repair)", file: indexName)
                } else if index.segmentLength > scan.validLength || (scan.tail.map { $0.offset < index.segmentLength } ?? false) {
                    let readable = scan.lastSequence.map { $0 + 1 } ?? base
                    let cutAt = scan.tail?.offset ?? scan.validLength
                    if durableNext > readable {
                        durableDamage = true
                        result.lostBeforeDurablePoint = (cutAt, readable..<durableNext)
                        let what = index.segmentLength > size
                            ? "the segment is \(size) bytes but its index \(indexName), written at a clean close or checkpoint, says \(index.segmentLength) were durable"
                            : "\(size - cutAt) unreadable bytes at offset \(cutAt) come before the durable point \(index.segmentLength) that its index \(indexName) records (\(scan.tail?.reason ?? "cut short"))"
                        problem(.error, "durable-damage", cutAt, "\(what): sequences \(readable)…\(durableNext - 1) cannot be read; this is corruption, not a crash tail")
                    } else {
                        result.indexProblem = "segment length \(index.segmentLength) does not match the \(scan.validLength) readable bytes"
                        problem(.error, "index-mismatch", 24, "the index says the segment's first \(index.segmentLength) bytes hold records through sequence \(durableNext &- 1), but only \(scan.validLength) bytes are readable batches (the index is rebuilt from its segment by repair)", file: indexName)
                    }
                } else if !scan.batches.contains(where: { $0.offset + Int64($0.header.totalLength) == index.segmentLength }) && index.segmentLength != Int64(OnDisk.segmentHeaderSize) {
                    result.indexProblem = "segment length \(index.segmentLength) is not the end of a batch"
                    problem(.error, "index-mismatch", 24, "the index covers the first \(index.segmentLength) bytes, which do not end at a batch boundary (the index is rebuilt from its segment by repair)", file: indexName)
                }
            }
            if let tail = scan.tail, !durableDamage {
                let bytes = size - tail.offset
                if isLast {
                    // The last segment is the active one, whatever index a clean close left for it.
                    if writerLive {
                        problem(.note, "live-tail", tail.offset, "\(bytes) bytes after the last complete batch are being written by the live writer")
                    } else {
                        problem(.warning, "torn-tail", tail.offset, "\(bytes) bytes after the last complete batch are a torn write (\(tail.reason)); a writable open or repair cuts them off")
                    }
                } else {
                    problem(.error, "sealed-tail", tail.offset, "sealed segment ends in \(bytes) unreadable bytes: \(tail.reason)")
                }
            }
            for regression in scan.timeRegressions {
                problem(.error, "time-regression", regression.offset, "append time goes backwards: \(TimeFormat.rfc3339(regression.found)) after \(TimeFormat.rfc3339(regression.previous))")
            }
            let segmentDamaged = !scan.damage.isEmpty || scan.headerProblem != nil || (scan.tail != nil && !isLast) || durableDamage
            if result.indexProblem != nil {
                // Reported above.
            } else if let index = result.index, segmentDamaged {
                problem(.note, "index-not-compared", nil, "index \(OnDisk.indexName(base)) describes \(index.recordCount) records; it was not compared with the damaged segment", file: OnDisk.indexName(base))
            } else if let index = result.index, isLast, index.segmentLength != scan.validLength {
                // A clean close's index of the active segment: the engine trusts it
                // for the bytes it covers (after checking its last block) and scans
                // what was appended since; a torn tail may also have cut into it.
                problem(.note, "index-prefix", nil, "index \(OnDisk.indexName(base)) was written at a clean close or checkpoint and covers the first \(index.segmentLength) of \(scan.validLength) readable bytes; the next writable open replaces it", file: OnDisk.indexName(base))
            } else if let index = result.index {
                let mismatches = compare(index, scan, header: scan.header, base: base, size: size)
                if !mismatches.isEmpty { result.indexStale = true }
                for (offset, text) in mismatches {
                    problem(.error, "index-mismatch", offset, text + " (the index is rebuilt from its segment by repair)", file: OnDisk.indexName(base))
                }
            }
            report.batches += scan.batches.count
            report.records += scan.recordCount
            report.lostPlaceholders += scan.kindCounts[RecordKinds.lost] ?? 0
            if let last = scan.lastSequence {
                expectedBase = last + 1
            } else {
                // An empty segment continues at its base; an unreadable one leaves the next base unknown.
                expectedBase = scan.headerProblem == nil ? base : nil
            }
            if let max = scan.maxTimestamp { previousMaxTime = Swift.max(previousMaxTime ?? max, max) }
            report.segments.append(result)
        }
        if report.lostPlaceholders > 0 {
            let kept = listing.corruptFiles.filter { $0.contains(".seg.") }
            let files = kept.isEmpty ? "" : " (the unreadable bytes are kept in \(kept.joined(separator: ", ")))"
            let count = report.lostPlaceholders
            report.problems.append(Problem(severity: .note, code: "lost-records", file: "-", offset: nil,
                message: "\(count) record\(count == 1 ? " is a placeholder" : "s are placeholders") that repair wrote for records lost to damage\(files)"))
        }
        return report
    }

    /// Every way `index` disagrees with what its segment holds.
    private func compare(_ index: IndexContents, _ scan: SegmentScan, header: SegmentHeaderFields?, base: UInt64, size: Int64) -> [(Int64, String)] {
        var out: [(Int64, String)] = []
        func check<T: Equatable>(_ offset: Int64, _ what: String, _ indexed: T, _ actual: T) {
            if indexed != actual { out.append((offset, "\(what): index says \(indexed), segment has \(actual)")) }
        }
        check(16, "base sequence", index.baseSequence, base)
        check(24, "segment length", index.segmentLength, size)
        check(32, "record count", index.recordCount, scan.recordCount)
        check(40, "batch count", index.batchCount, UInt64(scan.batches.count))
        if let minTime = scan.minTimestamp, let maxTime = scan.maxTimestamp {
            check(48, "earliest append time", index.minTimestamp, minTime)
            check(56, "latest append time", index.maxTimestamp, maxTime)
        }
        check(64, "raw bytes", index.rawBytes, scan.rawBytes)
        check(72, "stored bytes", index.storedBytes, scan.storedBytes)
        if let header { check(80, "created-at", index.createdAt, header.createdAt) }
        check(104, "last sequence", index.lastSequence.map(String.init) ?? "none", scan.lastSequence.map(String.init) ?? "none")
        if index.kindCounts != scan.kindCounts {
            let describe = { (counts: [UInt8: UInt64]) in counts.sorted { $0.key < $1.key }.map { "\(RecordKinds.name($0.key))=\($0.value)" }.joined(separator: ",") }
            out.append((Int64(IndexContents.fixedSize), "record counts by kind: index says \(describe(index.kindCounts)), segment has \(describe(scan.kindCounts))"))
        }
        // Time entries must point at batch starts with that batch's first sequence and time.
        var batchAt: [Int64: BatchFields] = [:]
        for batch in scan.batches { batchAt[batch.offset] = batch.header }
        var previous: IndexContents.Entry? = nil
        let entriesStart = Int64(IndexContents.fixedSize + 9 * index.kindCounts.count)
        for (i, entry) in index.entries.enumerated() {
            let at = entriesStart + Int64(24 * i)
            if let previous, !(entry.offset > previous.offset && entry.firstSequence > previous.firstSequence && entry.timestamp >= previous.timestamp) {
                out.append((at, "time entry \(i) (offset \(entry.offset)) is out of order"))
            }
            if i == 0 && entry.offset != Int64(OnDisk.segmentHeaderSize) {
                out.append((at, "first time entry points at offset \(entry.offset), not the first batch at \(OnDisk.segmentHeaderSize)"))
            }
            if let batch = batchAt[entry.offset] {
                if batch.firstSequence != entry.firstSequence || batch.minTimestamp != entry.timestamp {
                    out.append((at, "time entry \(i) says sequence \(entry.firstSequence) at \(entry.timestamp), the batch at offset \(entry.offset) has sequence \(batch.firstSequence) at \(batch.minTimestamp)"))
                }
            } else {
                out.append((at, "time entry \(i) points at offset \(entry.offset), where no batch starts"))
            }
            previous = entry
        }
        if index.entries.isEmpty != scan.batches.isEmpty {
            out.append((92, "\(index.entries.count) time entries for \(scan.batches.count) batches"))
        }
        // Partitions: record counts and the blocks that hold each.
        let indexed = Set(index.partitions.keys), actual = Set(scan.partitions.keys)
        for key in indexed.subtracting(actual).sorted().prefix(5) {
            out.append((96, "partition '\(key)' is in the index but not in the segment"))
        }
        for key in actual.subtracting(indexed).sorted().prefix(5) {
            out.append((96, "partition '\(key)' is in the segment but not in the index"))
        }
        var reported = 0
        for key in indexed.intersection(actual).sorted() where reported < 5 {
            let entry = index.partitions[key]!, tally = scan.partitions[key]!
            if entry.recordCount != tally.recordCount {
                out.append((96, "partition '\(key)': index counts \(entry.recordCount) records, segment has \(tally.recordCount)"))
                reported += 1
            } else if !entry.runs.elementsEqual(tally.runs, by: { $0.start == $1.start && $0.count == $1.count }) {
                out.append((96, "partition '\(key)': index lists blocks \(runsText(entry.runs)), segment has it in \(runsText(tally.runs))"))
                reported += 1
            }
        }
        return out
    }

    private func runsText(_ runs: [(start: UInt32, count: UInt32)]) -> String {
        runs.prefix(4).map { $0.count == 1 ? "\($0.start)" : "\($0.start)-\($0.start + $0.count - 1)" }.joined(separator: ",") + (runs.count > 4 ? ",…" : "")
    }
}
