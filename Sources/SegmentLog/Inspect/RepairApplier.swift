extension SegmentLog {
    /// Applies a repair plan made under `lock` by
    /// ``planRepair(directory:lock:options:)``, step by step, then opens the
    /// log for writing once under the same lock, so the engine's recovery
    /// rebuilds every missing index and removes leftovers of interrupted
    /// writes, and verifies it again.
    ///
    /// Every change goes through the engine's file layer and is crash-safe:
    /// bytes set aside are written to a temporary name, synced and renamed;
    /// a rewritten segment replaces the old one only once it is synced, and
    /// its index is set aside only after that. A crash or an I/O error at
    /// any point leaves the log as it was or partly repaired — every record
    /// readable before is still readable, byte for byte — and planning and
    /// applying again completes the repair.
    ///
    /// - Parameters:
    ///   - plan: a plan from ``planRepair(directory:lock:options:)``.
    ///   - lock: the writer lock the plan was made under, still held.
    ///   - options: the file layer and limits, as given to the plan.
    ///   - progress: called after each step is applied.
    /// - Throws: ``RepairError/notLocked(directory:)`` unless the plan was
    ///   made under `lock` and it is still held; ``RepairError/stepFailed(step:summary:error:)``
    ///   when a step's I/O fails; ``RepairError/reopenFailed(_:)`` when the
    ///   repaired log does not open for writing.
    @discardableResult
    public static func applyRepair(
        _ plan: RepairPlan, lock: WriterLock, options: LogOptions = LogOptions(), progress: (RepairStep) -> Void = { _ in }
    ) throws(RepairError) -> RepairOutcome {
        guard let planned = plan.lock, planned === lock, lock.isHeld, lock.directory == plan.directory else {
            throw .notLocked(directory: plan.directory)
        }
        let applier = RepairApplier(directory: plan.directory, fileSystem: options.fileSystem)
        var applied: [RepairStep] = []
        for (i, step) in plan.steps.enumerated() {
            do throws(SegmentLogError) {
                try applier.apply(step.work)
            } catch {
                throw .stepFailed(step: i + 1, summary: step.summary, error: error)
            }
            applied.append(step)
            progress(step)
        }
        if !plan.steps.isEmpty {
            // Derived files describe records by sequence; what a repair set
            // aside or replaced may no longer match them.
            for name in plan.report.listing.derivedFiles {
                do throws(SegmentLogError) {
                    try options.fileSystem.remove(plan.directory + "/" + name)
                } catch {
                    throw .stepFailed(step: plan.steps.count, summary: "remove \(name)", error: error)
                }
            }
        }
        var reopen = options
        reopen.writerLock = lock
        let recovery: RecoveryReport
        do throws(SegmentLogError) {
            try options.fileSystem.syncDirectory(plan.directory)
            let log = try SegmentLog.open(directory: plan.directory, options: reopen)
            recovery = log.recoveryReport
            try log.close()
        } catch {
            throw .reopenFailed(error)
        }
        let after: VerifyReport
        do throws(SegmentLogError) {
            after = try verify(directory: plan.directory, options: options)
        } catch {
            throw .reopenFailed(error)
        }
        return RepairOutcome(applied: applied, recovery: recovery, after: after, isRepaired: after.errors == 0 && plan.unrepairable.isEmpty)
    }
}

/// The file changes of repair steps, all through the engine's file layer.
struct RepairApplier {
    let directory: String
    let fileSystem: any LogFileSystem

    /// Kill points of a repair, in the order a rewrite reaches them (debug builds; see ``KillPoint``).
    static let killPoints = ["repair.after-copy", "repair.after-temp-write", "repair.after-replace", "repair.after-set-aside", "repair.after-truncate"]

    func apply(_ work: RepairWork) throws(SegmentLogError) {
        switch work {
        case let .cutTail(path, offset, length, corrupt):
            try keep(path, offset: offset, length: length, in: corrupt)
            let file = try fileSystem.open(path, mode: .readWrite)
            try file.truncate(to: offset)
            try file.sync()
            KillPoint.hit("repair.after-truncate")
        case let .rewrite(path, base, createdAt, startTime, pieces, index):
            var out = SegmentHeader(baseSequence: base, createdAt: createdAt).bytes
            // Placeholders carry the append time of the batch before them, so time never goes backwards.
            var lastTime = startTime
            let source = try fileSystem.open(path, mode: .readOnly)
            for piece in pieces {
                switch piece {
                case let .batch(offset, length, maxTime):
                    out += try read(source, at: offset, count: length)
                    lastTime = maxTime
                case let .damage(offset, length, missing, reason):
                    let name = SegmentFormat.segmentName(base)
                    let corrupt = length == 0 ? "" : "\(name).\(offset).corrupt"
                    if length > 0 { try keep(path, offset: offset, length: length, in: directory + "/" + corrupt) }
                    if !missing.isEmpty {
                        let payload = LostRecord.payload(corruptFile: corrupt, reason: reason)
                        for batch in LostRecord.batches(for: missing, timestamp: lastTime, payload: payload) { out += batch }
                    }
                }
            }
            try replace(path, with: out)
            KillPoint.hit("repair.after-replace")
            if let index {
                // Only now: until the new segment is in place, the index still
                // records the old one's durable point.
                try fileSystem.rename(directory + "/" + SegmentFormat.indexName(base), to: index)
                try fileSystem.syncDirectory(directory)
                KillPoint.hit("repair.after-set-aside")
            }
        case let .create(path, missing, time):
            if (try? fileSystem.open(path, mode: .readOnly)) != nil {
                throw .unexpectedFile(path: path, reason: "already exists; a repair never overwrites a segment, so verify the log again")
            }
            let base = missing.lowerBound
            var out = SegmentHeader(baseSequence: base, createdAt: time).bytes
            let payload = LostRecord.payload(corruptFile: "", reason: "segment file missing")
            for batch in LostRecord.batches(for: missing, timestamp: time, payload: payload) { out += batch }
            try replace(path, with: out)
            KillPoint.hit("repair.after-replace")
        case let .setAside(path, to):
            try fileSystem.rename(path, to: to)
            try fileSystem.syncDirectory(directory)
            KillPoint.hit("repair.after-set-aside")
        }
    }

    /// Copies `length` bytes at `offset` of `source` into the new file
    /// `destination` (temporary name, sync, rename, directory sync). If an
    /// earlier, interrupted repair already kept the same bytes there, that
    /// copy stays; different bytes are never overwritten.
    private func keep(_ source: String, offset: Int64, length: Int64, in destination: String) throws(SegmentLogError) {
        let bytes = try read(try fileSystem.open(source, mode: .readOnly), at: offset, count: Int(length))
        if let existing = try? fileSystem.open(destination, mode: .readOnly) {
            let size = try existing.size()
            if size == Int64(bytes.count), try read(existing, at: 0, count: bytes.count) == bytes { return }
            throw .unexpectedFile(path: destination, reason: "already exists with other contents (\(size) bytes); move it away and run repair again")
        }
        try write(bytes, to: destination)
        KillPoint.hit("repair.after-copy")
    }

    /// Replaces `path` with `bytes` atomically: a temporary file, synced,
    /// renamed into place, and the directory synced.
    private func replace(_ path: String, with bytes: [UInt8]) throws(SegmentLogError) {
        try write(bytes, to: path)
    }

    private func write(_ bytes: [UInt8], to path: String) throws(SegmentLogError) {
        let temporary = path + SegmentFormat.temporarySuffix
        let file = try fileSystem.open(temporary, mode: .createOrTruncate)
        try bytes.withBytes { (buffer) throws(SegmentLogError) in try file.write(buffer, at: 0) }
        try file.sync()
        KillPoint.hit("repair.after-temp-write")
        try fileSystem.rename(temporary, to: path)
        try fileSystem.syncDirectory(directory)
    }

    private func read(_ file: any LogFile, at offset: Int64, count: Int) throws(SegmentLogError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withMutableBytes { (buffer) throws(SegmentLogError) in try file.read(into: buffer, at: offset) }
        guard got == count else {
            throw .corruption(path: file.path, offset: offset + Int64(got), reason: "file ended after \(got) of the \(count) bytes the repair plan reads at offset \(offset); it changed since it was verified")
        }
        return bytes
    }
}
