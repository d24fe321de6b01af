extension SegmentLog {
    /// Verifies the log in `directory` and plans its repair (see
    /// ``RepairPlan``). Changes nothing.
    ///
    /// To apply the plan, hold the log's ``WriterLock`` from before this
    /// call until ``applyRepair(_:lock:options:progress:)`` returns, and
    /// pass it here: a writer that got in between the plan and its last
    /// change would append records the plan knows nothing about. Without a
    /// lock the plan is a dry run (and a process holding the writer lock
    /// makes the active segment's end a live tail, not a torn one).
    ///
    /// - Parameters:
    ///   - directory: the log's directory.
    ///   - lock: the log's writer lock, held by the caller, when the plan is to
    ///     be applied; nil for a dry run.
    ///   - options: the limits, clock and file system to read with.
    /// - Returns: the plan: what verifying found and the changes that repair it.
    /// - Throws: what ``verify(directory:writerIsLive:options:)`` throws.
    public static func planRepair(directory: String, lock: WriterLock? = nil, options: LogOptions = LogOptions()) throws(SegmentLogError) -> RepairPlan {
        let live = lock == nil && WriterLock.holder(directory: directory) != nil
        let report = try verify(directory: directory, writerIsLive: live, options: options)
        return RepairPlanner(report: report).plan(lock: lock)
    }
}

/// Works out a ``RepairPlan`` from what verifying found.
struct RepairPlanner {
    let report: VerifyReport

    func plan(lock: WriterLock?) -> RepairPlan {
        var plan = RepairPlan(directory: report.directory, report: report, lock: lock)
        let listing = report.listing
        let directory = listing.directory
        for name in listing.temporaries {
            plan.engineNotes.append("remove \(name), the leftover of an interrupted write")
        }
        for base in listing.orphanIndexes {
            plan.engineNotes.append("remove \(SegmentFormat.indexName(base)), an index whose segment is gone")
        }
        var previousEnd: (next: UInt64, time: Int64?)? = nil
        for (position, found) in report.findings.enumerated() {
            let name = SegmentFormat.segmentName(found.base)
            guard let judged = found.judged else {
                plan.unrepairable.append("\(name) cannot be read; it is left as it is")
                previousEnd = nil
                continue
            }
            let scan = judged.scan
            let successor = position + 1 < report.findings.count ? report.findings[position + 1].base : nil
            // Sequence gap before this segment: a segment file went missing.
            if let previousEnd, found.base > previousEnd.next {
                let missing = previousEnd.next..<found.base
                plan.lostRecords += UInt64(missing.count)
                let time = previousEnd.time ?? found.minTimestamp ?? 0
                let gapName = SegmentFormat.segmentName(missing.lowerBound)
                plan.steps.append(RepairStep(
                    action: .createMissingSegment(segment: gapName, sequences: missing),
                    summary: "create \(gapName) holding \(missing.count) placeholder record\(missing.count == 1 ? "" : "s") for sequences \(missing.lowerBound)…\(missing.upperBound - 1), whose segment is missing",
                    work: .create(path: directory + "/" + gapName, missing: missing, time: time)))
            } else if let previousEnd, found.base < previousEnd.next {
                plan.unrepairable.append("\(name) starts at sequence \(found.base), inside the previous segment's range (…\(previousEnd.next - 1)); overlapping segments need manual attention")
            }

            let sealedTail = judged.endDamage.map { $0.kind == .afterDamagedHeader || (!found.isLast && $0.kind != .cutShort) } ?? false
            let damaged = !scan.damage.isEmpty || judged.headerProblem != nil || sealedTail || found.lostBeforeDurablePoint != nil
            if damaged {
                planRewrite(&plan, found: found, judged: judged, successor: successor, previousTime: previousEnd?.time)
            } else if let tail = judged.tail ?? judged.endDamage.map({ RecoveryReport.Tail(path: found.path, offset: $0.range.offset, bytes: judged.size - $0.range.offset, reason: $0.reason) }),
                      found.isLast, tail.bytes > 0 {
                let corrupt = "\(name).\(tail.offset).corrupt"
                plan.steps.append(RepairStep(
                    action: .cutTornTail(segment: name, offset: tail.offset, bytes: tail.bytes, keptIn: corrupt),
                    summary: "\(name): cut the torn tail (\(tail.bytes) bytes at offset \(tail.offset), from an interrupted write), keeping those bytes in \(corrupt)",
                    work: .cutTail(path: found.path, offset: tail.offset, length: tail.bytes, corrupt: directory + "/" + corrupt)))
            }
            if !damaged {
                let indexName = SegmentFormat.indexName(found.base)
                let aside = Self.asideName(indexName, listing: listing)
                if let problem = found.indexProblem {
                    plan.steps.append(RepairStep(
                        action: .setIndexAside(index: indexName, keptAs: aside),
                        summary: "\(indexName): set the damaged index aside as \(aside) (\(problem)); it is rebuilt from its segment",
                        work: .setAside(path: directory + "/" + indexName, to: directory + "/" + aside)))
                } else if found.indexStale {
                    plan.steps.append(RepairStep(
                        action: .setIndexAside(index: indexName, keptAs: aside),
                        summary: "\(indexName): set the index that does not match its segment aside as \(aside); it is rebuilt from the segment",
                        work: .setAside(path: directory + "/" + indexName, to: directory + "/" + aside)))
                } else if !found.hasIndexFile && !found.isLast {
                    plan.engineNotes.append("rebuild the missing index \(indexName) from its segment")
                }
            }
            for (offset, _) in timeRegressions(found, after: previousEnd?.time) {
                plan.unrepairable.append("\(name) offset \(offset): append time goes backwards; left as it is")
            }
            var end = found.lastSequence.map { $0 + 1 } ?? found.base
            if damaged, let successor, successor > end, judged.endDamage != nil || found.lastSequence == nil { end = successor }
            if let last = scan.damage.last, !last.missingSequences.isEmpty { end = max(end, last.missingSequences.upperBound) }
            if let lost = found.lostBeforeDurablePoint { end = max(end, lost.missing.upperBound) }
            previousEnd = (end, found.maxTimestamp ?? previousEnd?.time)
        }
        if !plan.steps.isEmpty {
            for name in listing.derivedFiles {
                plan.engineNotes.append("remove \(name), derived data the repaired records may no longer match (the next open rebuilds it)")
            }
        }
        return plan
    }

    /// Batches whose append time is earlier than the one before them.
    private func timeRegressions(_ found: SegmentFindings, after previous: Int64?) -> [(Int64, Int64)] {
        var last = previous
        var out: [(Int64, Int64)] = []
        for batch in found.batches {
            if let last, batch.header.minTimestamp < last { out.append((batch.offset, batch.header.minTimestamp)) }
            last = max(last ?? batch.header.maxTimestamp, batch.header.maxTimestamp)
        }
        return out
    }

    /// `NAME.corrupt`, or `NAME.corrupt.N` when an earlier repair already set a file aside under that name.
    static func asideName(_ name: String, listing: LogDirectoryListing) -> String {
        var candidate = name + SegmentFormat.corruptSuffix
        var n = 1
        while listing.corruptFiles.contains(candidate) {
            n += 1
            candidate = name + SegmentFormat.corruptSuffix + ".\(n)"
        }
        return candidate
    }

    /// Rewrites a damaged segment: good batches copied as they are, every
    /// unreadable stretch copied to a `.corrupt` file and replaced by
    /// placeholders for the sequence numbers it held.
    private func planRewrite(_ plan: inout RepairPlan, found: SegmentFindings, judged: SegmentJudgement, successor: UInt64?, previousTime: Int64?) {
        let name = SegmentFormat.segmentName(found.base)
        let scan = judged.scan
        var pieces: [(Int64, RepairWork.Piece)] = scan.batches.map { ($0.offset, .batch(offset: $0.offset, length: $0.header.totalLength, maxTime: $0.header.maxTimestamp)) }
        if let header = judged.headerDamage {
            // The old header's bytes are kept; a new header is written.
            let lower = header.missingSequences.lowerBound
            let missing = header.missingSequences.upperBound == .max ? lower..<max(lower, successor ?? lower) : header.missingSequences
            let length = min(judged.size, Int64(SegmentFormat.segmentHeaderSize))
            if length > 0 || !missing.isEmpty {
                pieces.append((0, .damage(offset: 0, length: length, missing: missing, reason: header.reason)))
            }
        }
        for damage in scan.damage {
            pieces.append((damage.offset, .damage(offset: damage.offset, length: damage.length, missing: damage.missingSequences, reason: damage.reason)))
        }
        let tail: (offset: Int64, reason: String)? = judged.endDamage.map { ($0.range.offset, $0.reason) } ?? judged.tail.map { ($0.offset, $0.reason) }
        if let tail, tail.offset < judged.size {
            let next = found.lastSequence.map { $0 + 1 } ?? found.base
            // The sequences the unreadable end held: up to the next segment, or
            // for the active segment up to what its index recorded as durable.
            var missing = successor.map { $0 > next ? next..<$0 : next..<next } ?? (next..<next)
            if let lost = found.lostBeforeDurablePoint { missing = lost.missing }
            pieces.append((tail.offset, .damage(offset: tail.offset, length: judged.size - tail.offset, missing: missing, reason: tail.reason)))
        } else if let lost = found.lostBeforeDurablePoint {
            // Cut at a batch boundary: nothing unreadable is left, the durable records are simply gone.
            pieces.append((lost.offset, .damage(offset: lost.offset, length: 0, missing: lost.missing, reason: "segment cut short before its durable point")))
        }
        pieces.sort { $0.0 < $1.0 }
        var descriptions: [String] = []
        var kept: [String] = []
        var lost: UInt64 = 0
        for (_, piece) in pieces {
            guard case .damage(let offset, let length, let missing, let reason) = piece else { continue }
            let corrupt = "\(name).\(offset).corrupt"
            if length > 0 { kept.append(corrupt) }
            var text = length == 0 ? "at offset \(offset) (\(reason))" : "move \(length) unreadable bytes at offset \(offset) (\(reason)) into \(corrupt)"
            if !missing.isEmpty {
                text += " and write \(missing.count) placeholder record\(missing.count == 1 ? "" : "s") for the lost sequences \(missing.lowerBound)…\(missing.upperBound - 1)"
            }
            lost += UInt64(missing.count)
            descriptions.append(text)
        }
        plan.lostRecords += lost
        let indexName = SegmentFormat.indexName(found.base)
        let aside = Self.asideName(indexName, listing: report.listing)
        var summary = "\(name): " + descriptions.joined(separator: "; ")
        if judged.headerProblem != nil { summary += "; write a new segment header" }
        if found.hasIndexFile { summary += "; set its index aside as \(aside) and rebuild it" }
        let createdAt = judged.header?.createdAt ?? found.minTimestamp ?? previousTime ?? 0
        let startTime = previousTime ?? min(createdAt, found.minTimestamp ?? createdAt)
        let directory = report.listing.directory
        plan.steps.append(RepairStep(
            action: .rewriteSegment(segment: name, keptIn: kept, placeholders: lost),
            summary: summary,
            work: .rewrite(path: found.path, base: found.base, createdAt: createdAt, startTime: startTime,
                           pieces: pieces.map(\.1), index: found.hasIndexFile ? directory + "/" + aside : nil)))
    }
}
