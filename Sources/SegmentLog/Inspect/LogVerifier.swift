extension SegmentLog {
    /// Checks a log directory against the format (docs/format.md) and the
    /// engine's recovery rules, reading every batch of every segment and
    /// comparing every index file with its segment. Read-only: takes no
    /// lock and changes no file, so it can run beside a live writer.
    ///
    /// Segments are judged by the same rules a writable open applies
    /// (header, batches, durable point, crash tail or damage), so `verify`
    /// and the engine never disagree about what is damage, and its counts
    /// are the records every reader returns.
    ///
    /// - Parameters:
    ///   - directory: the log directory.
    ///   - writerIsLive: a process holds the writer lock (see
    ///     ``WriterLock/holder(directory:)``): the end of the active segment
    ///     may be a batch being written (`live-tail`, not `torn-tail`), and
    ///     files retention removes meanwhile are not errors.
    ///   - options: the file layer and limits to read with (tests inject faults).
    /// - Throws: ``SegmentLogError/io(operation:path:errno:)`` when the
    ///   directory cannot be listed, ``SegmentLogError/unexpectedFile(path:reason:)``
    ///   for an entry that is not a regular file, and
    ///   ``SegmentLogError/unsupportedFormat(path:version:)`` for a segment of
    ///   another format version. Damage is never thrown: it is in the report.
    public static func verify(directory: String, writerIsLive: Bool = false, options: LogOptions = LogOptions()) throws(SegmentLogError) -> VerifyReport {
        let listing = try LogDirectoryListing.read(directory: directory, options: options)
        return try LogVerifier(listing: listing, writerIsLive: writerIsLive, options: options).run()
    }
}

/// The checks behind ``SegmentLog/verify(directory:writerIsLive:options:)``.
struct LogVerifier {
    let listing: LogDirectoryListing
    let writerIsLive: Bool
    let options: LogOptions

    private var recovery: LogRecovery { LogRecovery(directory: listing.directory, options: options, writable: false) }
    private var files: SegmentFiles { SegmentFiles(directory: listing.directory, fileSystem: options.fileSystem) }

    func run() throws(SegmentLogError) -> VerifyReport {
        var report = VerifyReport(directory: listing.directory, writerIsLive: writerIsLive, listing: listing)
        for name in listing.foreign {
            report.problems.append(VerifyProblem(code: .foreignFile, file: name, offset: nil,
                message: "is not a file of a log; the engine refuses to open a directory holding it"))
        }
        for name in listing.temporaries {
            report.problems.append(VerifyProblem(code: .temporaryFile, file: name, offset: nil,
                message: "leftover of an interrupted write (removed at the next writable open or by repair)"))
        }
        for base in listing.orphanIndexes {
            // As a writable open judges it: a readable index describing records
            // before the first or after the last segment is the only trace of a
            // lost segment (between two segments, the sequence gap reports it).
            if case .success(let index) = files.readIndex(base: base, limits: options.limits), !index.isEmpty,
               !(listing.segments.first.map { $0 < base } == true && listing.segments.last.map { base < $0 } == true) {
                let missing = base..<index.nextSequence
                report.problems.append(VerifyProblem(code: .sequenceGap, file: SegmentFormat.segmentName(base), offset: nil,
                    message: "segment file is missing, but its index \(SegmentFormat.indexName(base)) describes \(index.recordCount) records (sequences \(missing.lowerBound)…\(missing.upperBound - 1)); a writable open refuses the log",
                    missingSequences: missing))
                continue
            }
            report.problems.append(VerifyProblem(code: .orphanIndex, file: SegmentFormat.indexName(base), offset: nil,
                message: "index without its segment that describes no readable records (a leftover; removed at the next writable open or by repair)"))
        }
        let indexed = Set(listing.indexes)
        var expectedBase: UInt64? = nil
        var previousMaxTime: Int64? = nil
        for (position, base) in listing.segments.enumerated() {
            let isLast = position == listing.segments.count - 1
            let name = SegmentFormat.segmentName(base)
            let indexName = SegmentFormat.indexName(base)
            var found = SegmentFindings(base: base, path: listing.segmentPath(base), isLast: isLast, hasIndexFile: indexed.contains(base))
            var verdict = VerifyReport.Segment(file: name, baseSequence: base, isActive: isLast, isReadable: false, batches: 0, records: 0,
                                               lastSequence: nil, bytes: listing.sizes[name] ?? 0, index: found.hasIndexFile ? .unreadable : .missing)
            func problem(_ code: VerifyProblem.Code, _ offset: Int64?, _ message: String, file: String = name, missing: Range<UInt64>? = nil) {
                report.problems.append(VerifyProblem(code: code, file: file, offset: offset, message: message, missingSequences: missing))
            }
            func finish() {
                report.segments.append(verdict)
                report.findings.append(found)
            }
            let file: any LogFile
            do {
                file = try options.fileSystem.open(found.path, mode: .readOnly)
            } catch {
                if writerIsLive, case .io(_, _, let code) = error, code == 2 {
                    problem(.removedDuringVerify, nil, "removed while being verified (retention by the live writer)")
                } else {
                    problem(.unreadableFile, nil, "\(error)")
                }
                expectedBase = nil
                finish()
                continue
            }
            let size = (try? file.size()) ?? 0
            verdict.bytes = size
            report.bytes += size

            if found.hasIndexFile {
                switch files.readIndex(base: base, limits: options.limits, checkingBase: false) {
                case .success(let index) where index.baseSequence != base:
                    // A valid index of another segment: it contradicts this one,
                    // and nothing it records is this segment's durable point.
                    report.bytes += listing.sizes[indexName] ?? 0
                    found.indexStale = true
                    verdict.index = .mismatched
                    problem(.indexMismatch, 16, "base sequence: index says \(index.baseSequence), segment has \(base) (the index is rebuilt from its segment by repair)", file: indexName)
                case .success(let index):
                    found.index = index
                    report.bytes += listing.sizes[indexName] ?? 0
                case .failure(let error):
                    if writerIsLive, case .io(_, _, let code) = error, code == 2 {
                        // Retention removes the index first, then the segment.
                        found.hasIndexFile = false
                        verdict.index = .missing
                        problem(.removedDuringVerify, nil, "index removed while being verified (retention by the live writer)", file: indexName)
                    } else {
                        report.bytes += listing.sizes[indexName] ?? 0
                        let (offset, reason) = Self.describe(error)
                        found.indexProblem = reason
                        problem(.indexUnreadable, offset, reason + " (the index is rebuilt from its segment by repair)", file: indexName)
                    }
                }
            } else if !isLast {
                problem(.indexMissing, nil, "sealed segment has no index file \(indexName) (rebuilt at the next writable open or by repair)")
            }

            let judged: SegmentJudgement
            do {
                judged = try recovery.judge(base: base, isLast: isLast, file: file, recorded: found.index, fullScan: true,
                                            blockStarts: found.index.map { Set($0.entries.map(\.offset)) }, keepsBatches: true)
            } catch {
                if case .unsupportedFormat = error { throw error }
                problem(.unreadableFile, nil, "\(error)")
                expectedBase = nil
                finish()
                continue
            }
            found.judged = judged
            verdict.isReadable = true
            let scan = judged.scan
            if let header = judged.headerProblem {
                problem(.segmentHeader, header.offset, header.reason)
            }
            if let expected = expectedBase, base != expected {
                let text = base > expected
                    ? "sequences \(expected)…\(base - 1) are missing between the previous segment and this one"
                    : "starts at sequence \(base) but the previous segment already reached \(expected - 1)"
                problem(.sequenceGap, 0, text, missing: base > expected ? expected..<base : nil)
            }
            for damage in scan.damage {
                var text = "\(damage.length) unreadable bytes: \(damage.reason)"
                if !damage.missingSequences.isEmpty { text += "; sequences \(Self.sequences(damage.missingSequences)) cannot be read" }
                problem(.damagedRange, damage.offset, text, missing: damage.missingSequences.isEmpty ? nil : damage.missingSequences)
            }
            var segmentDamaged = judged.headerProblem != nil || !scan.damage.isEmpty
            let readable = scan.index.nextSequence
            if let end = judged.endDamage {
                let cutAt = end.range.offset
                let missing = end.range.missingSequences
                if end.kind == .sealedTail || (!isLast && end.kind == .beforeDurablePoint) {
                    segmentDamaged = true
                    var text = "sealed segment ends in \(size - cutAt) unreadable bytes: \(end.reason)"
                    if !missing.isEmpty && missing.upperBound != .max { text += "; sequences \(Self.sequences(missing)) cannot be read" }
                    problem(.sealedTail, cutAt, text, missing: missing.isEmpty ? nil : missing)
                } else if end.kind == .afterDamagedHeader {
                    // The header is already an error; what follows the last
                    // readable batch is reported as the end it would otherwise be.
                    problem(.tornTail, cutAt, "\(size - cutAt) bytes after the last complete batch are a torn write (\(end.reason)); a writable open or repair cuts them off")
                } else if !missing.isEmpty, let index = found.index {
                    segmentDamaged = true
                    found.lostBeforeDurablePoint = (cutAt, missing)
                    let what = !isLast
                        ? "the sealed segment ends at byte \(size) but its index \(indexName) says \(index.length) bytes were synced"
                        : index.length > size
                        ? "the segment is \(size) bytes but its index \(indexName), written at a clean close or checkpoint, says \(index.length) were durable"
                        : "\(size - cutAt) unreadable bytes at offset \(cutAt) come before the durable point \(index.length) that its index \(indexName) records (\(end.reason))"
                    problem(.durableDamage, cutAt, "\(what): sequences \(Self.sequences(missing)) cannot be read; this is corruption, not a crash tail", missing: missing)
                } else if let index = found.index {
                    // No records are missing: the index's length is what is wrong.
                    found.indexStale = true
                    verdict.index = .mismatched
                    problem(.indexMismatch, 24, "the index says the segment's first \(index.length) bytes hold records through sequence \(index.nextSequence &- 1), but only \(scan.index.length) bytes are readable batches (the index is rebuilt from its segment by repair)", file: indexName)
                    if end.kind == .beforeDurablePoint {
                        problem(.tornTail, cutAt, "\(size - cutAt) bytes after the last complete batch are a torn write (\(end.reason)); a writable open or repair cuts them off")
                    }
                }
            }
            if let tail = judged.tail {
                if writerIsLive {
                    problem(.liveTail, tail.offset, "\(tail.bytes) bytes after the last complete batch are being written by the live writer")
                } else {
                    problem(.tornTail, tail.offset, "\(tail.bytes) bytes after the last complete batch are a torn write (\(tail.reason)); a writable open or repair cuts them off")
                }
            }
            for batch in scan.batches {
                if let previous = previousMaxTime, batch.header.minTimestamp < previous {
                    problem(.timeRegression, batch.offset, "append time goes backwards: \(Self.rfc3339(batch.header.minTimestamp)) after \(Self.rfc3339(previous))")
                }
                previousMaxTime = max(previousMaxTime ?? batch.header.maxTimestamp, batch.header.maxTimestamp)
            }

            if let index = found.index, verdict.index != .mismatched {
                if segmentDamaged {
                    verdict.index = .notCompared
                    problem(.indexNotCompared, nil, "index \(indexName) describes \(index.recordCount) records; it was not compared with the damaged segment", file: indexName)
                } else if isLast && index.length != scan.index.length {
                    // A clean close's or durable point's index of the active
                    // segment: the engine trusts it for the bytes it covers
                    // (after checking its last block) and scans what was
                    // appended since. It must describe that prefix exactly.
                    let mismatches = try comparePrefix(index, file: file, base: base)
                    if mismatches.isEmpty {
                        verdict.index = .prefix(length: index.length)
                        problem(.indexPrefix, nil, "index \(indexName) was written at a clean close or checkpoint and covers the first \(index.length) of \(scan.index.length) readable bytes; the next writable open replaces it", file: indexName)
                    } else {
                        found.indexStale = true
                        verdict.index = .mismatched
                        for (offset, text) in mismatches {
                            problem(.indexMismatch, offset, text + " (the index is rebuilt from its segment by repair)", file: indexName)
                        }
                    }
                } else {
                    // A sealed segment is exactly as long as its index says; the
                    // active one's index covers its readable batches (a torn
                    // tail after them is reported above).
                    let mismatches = IndexComparison(index: index, scan: scan, base: base, length: isLast ? scan.index.length : size).mismatches()
                    if mismatches.isEmpty {
                        verdict.index = .matches
                    } else {
                        found.indexStale = true
                        verdict.index = .mismatched
                        for (offset, text) in mismatches {
                            problem(.indexMismatch, offset, text + " (the index is rebuilt from its segment by repair)", file: indexName)
                        }
                    }
                }
            }
            verdict.batches = scan.index.batchCount
            verdict.records = scan.index.recordCount
            verdict.lastSequence = scan.index.lastSequence
            report.placeholders += scan.index.kindCounts[LostRecord.kind] ?? 0
            // The next segment continues after every sequence this one's files
            // account for, as the engine chains them; when that is unknown
            // (the end is unreadable and nothing records how many records it
            // held), the next segment's base is taken as it is.
            var next = readable
            for range in judged.damage where range.missingSequences.upperBound != .max { next = max(next, range.missingSequences.upperBound) }
            let unknown = judged.damage.contains { $0.missingSequences.upperBound == .max }
            expectedBase = unknown ? nil : next
            finish()
        }
        if report.placeholders > 0 {
            let kept = listing.corruptFiles.filter { $0.contains(".seg.") }
            let files = kept.isEmpty ? "" : " (the unreadable bytes are kept in \(kept.joined(separator: ", ")))"
            let count = report.placeholders
            report.problems.append(VerifyProblem(code: .lostRecords, file: "-", offset: nil,
                message: "\(count) record\(count == 1 ? " is a placeholder" : "s are placeholders") that repair wrote for records lost to damage\(files)"))
        }
        return report
    }

    /// Compares an active segment's index with the first `index.length`
    /// bytes of the segment, scanned afresh with the index's own blocks.
    private func comparePrefix(_ index: SegmentIndex, file: any LogFile, base: UInt64) throws(SegmentLogError) -> [(Int64, String)] {
        let scanner = SegmentScanner(path: listing.segmentPath(base), limits: options.limits, indexInterval: options.indexIntervalBytes,
                                     blockStarts: Set(index.entries.map(\.offset)), keepsBatches: true)
        let start = SegmentIndex(baseSequence: base, createdAt: index.createdAt)
        let prefix = try scanner.scan(file, resuming: start, size: index.length, durableLength: index.length)
        if prefix.tail != nil || !prefix.damage.isEmpty {
            return [(24, "the index covers the first \(index.length) bytes, which do not end at a batch boundary")]
        }
        return IndexComparison(index: index, scan: prefix, base: base, length: index.length).mismatches()
    }

    /// Where and why an index file could not be used.
    static func describe(_ error: SegmentLogError) -> (Int64?, String) {
        switch error {
        case let .corruption(_, offset, reason): return (offset, reason)
        case let .limitExceeded(_, value, limit): return (0, "index file is \(value) bytes, over the limit of \(limit)")
        case let .unsupportedFormat(_, version): return (8, "index format version \(version) is not supported")
        default: return (nil, "\(error)")
        }
    }

    static func sequences(_ range: Range<UInt64>) -> String {
        range.upperBound == .max ? "\(range.lowerBound) and later" : "\(range.lowerBound)…\(range.upperBound - 1)"
    }

    /// RFC 3339 UTC with microseconds, for messages.
    static func rfc3339(_ micros: Int64) -> String { TimeText.rfc3339(micros) }
}
