#if canImport(Glibc)
import Glibc
#endif

/// The changes `repair` makes to a damaged log, worked out from a
/// ``Verifier`` report before anything is touched, so `--dry-run` shows
/// exactly what applying would do. Unreadable bytes are never deleted: they
/// are copied into `.corrupt` files beside the log first (which the engine
/// ignores), and each lost record is replaced by a kind-0 placeholder so
/// sequence numbers stay gap-free.
struct RepairPlan {
    struct Step {
        var summary: String
        var apply: () throws -> Void
    }

    var steps: [Step] = []
    /// Things repair cannot fix, reported and left alone.
    var unrepairable: [String] = []
    /// What the engine's writable open will do afterwards (told, not done by us).
    var engineNotes: [String] = []
    var lostRecords: UInt64 = 0

    static func make(listing: LogDirectory, report: Verifier.Report) -> RepairPlan {
        var plan = RepairPlan()
        let directory = listing.path
        for name in listing.temporaries {
            plan.engineNotes.append("remove \(name), the leftover of an interrupted write")
        }
        for base in listing.indexes.subtracting(listing.segments).sorted() {
            plan.engineNotes.append("remove \(OnDisk.indexName(base)), an index whose segment is gone")
        }
        var previousEnd: (next: UInt64, time: Int64?)? = nil
        for (position, result) in report.segments.enumerated() {
            let name = OnDisk.segmentName(result.base)
            guard let scan = result.scan else {
                plan.unrepairable.append("\(name) cannot be read; it is left as it is")
                previousEnd = nil
                continue
            }
            let successor = position + 1 < report.segments.count ? report.segments[position + 1].base : nil
            let isActive = result.isLast  // the active segment, whatever index a clean close left for it
            let goodNext = scan.lastSequence.map { $0 + 1 }
            // Sequence gap before this segment: a segment file went missing.
            if let previousEnd, result.base > previousEnd.next {
                let missing = previousEnd.next..<result.base
                plan.lostRecords += UInt64(missing.count)
                let time = previousEnd.time ?? scan.minTimestamp ?? 0
                let gapName = OnDisk.segmentName(missing.lowerBound)
                plan.steps.append(Step(summary: "create \(gapName) holding \(missing.count) placeholder record\(missing.count == 1 ? "" : "s") for sequences \(missing.lowerBound)…\(missing.upperBound - 1), whose segment is missing") {
                    let payload = PlaceholderBatch.payload(corruptFile: "", reason: "segment file missing")
                    var bytes = SegmentHeaderFields(baseSequence: missing.lowerBound, createdAt: time).bytes
                    for batch in PlaceholderBatch.batches(for: missing, timestamp: time, payload: payload) { bytes += batch }
                    try FileOps.writeNew(directory + "/" + gapName, bytes)
                })
            } else if let previousEnd, result.base < previousEnd.next {
                plan.unrepairable.append("\(name) starts at sequence \(result.base), inside the previous segment's range (…\(previousEnd.next - 1)); overlapping segments need manual attention")
            }

            let damaged = !scan.damage.isEmpty || scan.headerProblem != nil || (scan.tail != nil && !isActive) || result.lostBeforeDurablePoint != nil
                || (scan.header.map { $0.baseSequence != result.base } ?? false)
            if damaged {
                plan.planRewrite(directory: directory, result: result, scan: scan, successor: successor, previousTime: previousEnd?.time)
            } else if let tail = scan.tail, isActive {
                let bytes = scan.size - tail.offset
                let corrupt = "\(name).\(tail.offset).corrupt"
                plan.steps.append(Step(summary: "\(name): cut the torn tail (\(bytes) bytes at offset \(tail.offset), from an interrupted write), keeping those bytes in \(corrupt)") {
                    try FileOps.copyRange(from: result.path, offset: tail.offset, length: bytes, to: directory + "/" + corrupt)
                    try FileOps.truncate(result.path, to: tail.offset)
                })
            }
            if !damaged {
                let indexName = OnDisk.indexName(result.base)
                if let problem = result.indexProblem {
                    plan.steps.append(Step(summary: "\(indexName): set the damaged index aside as \(indexName).corrupt (\(problem)); it is rebuilt from its segment") {
                        try FileOps.rename(directory + "/" + indexName, to: directory + "/" + indexName + ".corrupt")
                    })
                } else if result.indexStale {
                    plan.steps.append(Step(summary: "\(indexName): set the index that does not match its segment aside as \(indexName).corrupt; it is rebuilt from the segment") {
                        try FileOps.rename(directory + "/" + indexName, to: directory + "/" + indexName + ".corrupt")
                    })
                } else if !result.hasIndexFile && !result.isLast {
                    plan.engineNotes.append("rebuild the missing index \(indexName) from its segment")
                }
            }
            for regression in scan.timeRegressions {
                plan.unrepairable.append("\(name) offset \(regression.offset): append time goes backwards; left as it is")
            }
            var end = goodNext ?? result.base
            if damaged, let successor, successor > end, scan.tail != nil || scan.lastSequence == nil { end = successor }
            if let last = scan.damage.last, !last.missing.isEmpty { end = max(end, last.missing.upperBound) }
            previousEnd = (end, scan.maxTimestamp ?? previousEnd?.time)
        }
        return plan
    }

    /// Rewrites a damaged segment: good batches copied as they are, every
    /// unreadable stretch copied to a `.corrupt` file and replaced by
    /// placeholders for the sequence numbers it held.
    private mutating func planRewrite(directory: String, result: Verifier.SegmentResult, scan: SegmentScan, successor: UInt64?, previousTime: Int64?) {
        let name = OnDisk.segmentName(result.base)
        enum Piece {
            case batch(offset: Int64, length: Int, maxTime: Int64)
            case damage(offset: Int64, length: Int64, missing: Range<UInt64>, reason: String)
        }
        var pieces: [(Int64, Piece)] = scan.batches.map { ($0.offset, .batch(offset: $0.offset, length: $0.header.totalLength, maxTime: $0.header.maxTimestamp)) }
        for damage in scan.damage {
            pieces.append((damage.offset, .damage(offset: damage.offset, length: damage.length, missing: damage.missing, reason: damage.reason)))
        }
        if let tail = scan.tail {
            let next = scan.lastSequence.map { $0 + 1 } ?? result.base
            // The sequences the unreadable end held: up to the next segment, or
            // for the active segment up to what its index recorded as durable.
            var missing = successor.map { $0 > next ? next..<$0 : next..<next } ?? (next..<next)
            if let lost = result.lostBeforeDurablePoint { missing = lost.missing }
            pieces.append((tail.offset, .damage(offset: tail.offset, length: scan.size - tail.offset, missing: missing, reason: tail.reason)))
        } else if let lost = result.lostBeforeDurablePoint {
            // Cut at a batch boundary: nothing unreadable is left, the durable records are simply gone.
            pieces.append((lost.offset, .damage(offset: lost.offset, length: 0, missing: lost.missing, reason: "segment cut short before its durable point")))
        }
        pieces.sort { $0.0 < $1.0 }
        var descriptions: [String] = []
        var lost: UInt64 = 0
        for (_, piece) in pieces {
            if case .damage(let offset, let length, let missing, let reason) = piece {
                let corrupt = "\(name).\(offset).corrupt"
                var text = length == 0 ? "at offset \(offset) (\(reason))" : "move \(length) unreadable bytes at offset \(offset) (\(reason)) into \(corrupt)"
                if !missing.isEmpty {
                    text += " and write \(missing.count) placeholder record\(missing.count == 1 ? "" : "s") for the lost sequences \(missing.lowerBound)…\(missing.upperBound - 1)"
                }
                lost += UInt64(missing.count)
                descriptions.append(text)
            }
        }
        lostRecords += lost
        let hasIndex = result.hasIndexFile
        let indexName = OnDisk.indexName(result.base)
        var summary = "\(name): " + descriptions.joined(separator: "; ")
        if scan.headerProblem != nil { summary += "; write a new segment header" }
        if hasIndex { summary += "; set its index aside as \(indexName).corrupt and rebuild it" }
        let createdAt = scan.header?.createdAt ?? scan.minTimestamp ?? previousTime ?? 0
        let base = result.base
        let path = result.path
        steps.append(Step(summary: summary) {
            let source = try RawFile(path: path)
            var out = SegmentHeaderFields(baseSequence: base, createdAt: createdAt).bytes
            // Placeholders carry the append time of the batch before them, so time never goes backwards.
            var lastTime = previousTime ?? min(createdAt, scan.minTimestamp ?? createdAt)
            for (_, piece) in pieces {
                switch piece {
                case .batch(let offset, let length, let maxTime):
                    out += try source.read(at: offset, count: length)
                    lastTime = maxTime
                case .damage(let offset, let length, let missing, let reason):
                    let corrupt = length == 0 ? "" : "\(name).\(offset).corrupt"
                    if length > 0 {
                        try FileOps.copyRange(from: path, offset: offset, length: length, to: directory + "/" + corrupt)
                    }
                    if !missing.isEmpty {
                        let payload = PlaceholderBatch.payload(corruptFile: corrupt, reason: reason)
                        for batch in PlaceholderBatch.batches(for: missing, timestamp: lastTime, payload: payload) { out += batch }
                    }
                }
            }
            if hasIndex { try FileOps.rename(directory + "/" + indexName, to: directory + "/" + indexName + ".corrupt") }
            try FileOps.replace(path, with: out)
        })
    }
}

/// Small file operations for repair, each synced before it returns.
enum FileOps {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static func fail(_ what: String, _ path: String) -> Failure {
        Failure(description: "\(what) \(path): \(String(cString: strerror(errno)))")
    }

    /// Creates `path` (which must not exist) with `bytes`, mode 0600, synced.
    static func writeNew(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail("cannot create", path) }
        defer { close(fd) }
        _ = fchmod(fd, 0o600)
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; throw fail("cannot write", path) }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw fail("cannot sync", path) }
    }

    /// Copies `length` bytes at `offset` of `source` into a new file
    /// `destination`. If an earlier, interrupted repair already saved the
    /// same bytes there, that copy is kept; different bytes are never overwritten.
    static func copyRange(from source: String, offset: Int64, length: Int64, to destination: String) throws {
        let file = try RawFile(path: source)
        let bytes = try file.read(at: offset, count: Int(length))
        if access(destination, F_OK) == 0 {
            let existing = try RawFile(path: destination)
            if existing.size() == Int64(bytes.count), try existing.read(at: 0, count: bytes.count) == bytes { return }
            throw Failure(description: "\(destination) already exists with other contents; move it away and run repair again")
        }
        try writeNew(destination, bytes)
    }

    static func truncate(_ path: String, to length: Int64) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open", path) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw fail("cannot truncate", path) }
        guard fsync(fd) == 0 else { throw fail("cannot sync", path) }
    }

    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw fail("cannot rename \(to) from", from) }
    }

    /// Atomically replaces `path` with `bytes` (temporary file, sync, rename).
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        try writeNew(temporary, bytes)
        try rename(temporary, to: path)
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw fail("cannot sync directory", path) }
    }
}
