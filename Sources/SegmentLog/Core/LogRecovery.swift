/// Opening a log directory: validates its files, trusts sealed segments
/// through their index files (rebuilding missing or damaged ones), scans the
/// active segment and cuts a torn tail, and tells damage from crashes.
struct LogRecovery {
    let directory: String
    let options: LogOptions
    let writable: Bool

    private var fileSystem: any LogFileSystem { options.fileSystem }
    private var files: SegmentFiles { SegmentFiles(directory: directory, fileSystem: fileSystem) }
    /// Read-only opens never refuse: they exist to inspect damaged logs.
    private var refusesDamage: Bool { writable && options.corruptionPolicy == .refuse }

    struct Listing {
        var segments: [UInt64] = []
        var indexes: Set<UInt64> = []
        var temporaries: [String] = []
    }

    /// Classifies the directory's entries; anything the log did not write is refused.
    func list() throws(SegmentLogError) -> Listing {
        var listing = Listing()
        for entry in try fileSystem.list(directory) {
            let path = directory + "/" + entry.name
            if entry.kind == .symlink {
                throw .unexpectedFile(path: path, reason: "is a symbolic link; a log directory holds only its own regular files")
            }
            guard entry.kind == .regular else {
                throw .unexpectedFile(path: path, reason: "is not a regular file; a log directory holds only its own regular files")
            }
            let name = entry.name
            if SegmentFormat.isInterruptedSetAside(name) {
                // An interrupted repair's copy of damaged bytes: the segment
                // still holds them (repair changes it only after the copy is
                // renamed), so the copy is redundant.
                listing.temporaries.append(path)
                continue
            }
            if name == SegmentFormat.lockName || name.contains(SegmentFormat.corruptSuffix)
                || SegmentFormat.isDerivedName(Substring(name)) { continue }
            if name.hasSuffix(SegmentFormat.temporarySuffix) {
                let stem = name.dropLast(SegmentFormat.temporarySuffix.count)
                if Self.base(of: stem, suffix: ".seg") != nil || Self.base(of: stem, suffix: ".idx") != nil
                    || SegmentFormat.isDerivedName(stem) {
                    listing.temporaries.append(path)
                    continue
                }
            } else if let base = Self.base(of: Substring(name), suffix: ".seg") {
                listing.segments.append(base)
                continue
            } else if let base = Self.base(of: Substring(name), suffix: ".idx") {
                listing.indexes.insert(base)
                continue
            }
            throw .unexpectedFile(path: path, reason: "is not a file of a SignalLog log (expected NNNNNNNNNNNNNNNNNNNN.seg, .idx, NAME.snapshot or LOCK)")
        }
        listing.segments.sort()
        return listing
    }

    private static func base(of name: Substring, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        return SegmentFormat.parseBase(name.dropLast(suffix.count))
    }

    func open() throws(SegmentLogError) -> (slots: [SegmentSlot], report: RecoveryReport) {
        let listing = try list()
        var report = RecoveryReport()
        if writable {
            for path in listing.temporaries {
                try fileSystem.remove(path)
                report.removedFiles.append(path)
            }
        }
        // An index file whose segment file is gone and that describes records
        // is never removed: the engine itself never leaves one behind
        // (retention removes the index first), so it is the only record of
        // what the lost segment held. Between two segments the gap in
        // sequence numbers reports the loss; before the first or after the
        // last, nothing else would, so the index stands in for its segment.
        // One that cannot be read, or describes no records, is a leftover.
        var lost: [UInt64: SegmentIndex] = [:]
        for base in listing.indexes.subtracting(listing.segments).sorted() {
            if case .success(let index) = files.readIndex(base: base, limits: options.limits), !index.isEmpty {
                let inside = listing.segments.first.map { $0 < base } == true && listing.segments.last.map { base < $0 } == true
                if !inside { lost[base] = index }
            } else if writable {
                try fileSystem.remove(files.indexPath(base))
                report.removedFiles.append(files.indexPath(base))
            }
        }
        let bases = Set(listing.segments).union(lost.keys).sorted()
        var slots: [SegmentSlot] = []
        for base in bases {
            if let index = lost[base] {
                try appendMissingSegment(index, to: &slots, report: &report)
            } else {
                try appendSegment(base: base, isLast: base == bases.last, hasIndex: listing.indexes.contains(base), to: &slots, report: &report)
            }
        }
        if writable {
            if let last = slots.last, last.describedEnd == .max, let unknown = last.damage.last(where: { $0.missingSequences.upperBound == .max }) {
                // Only reachable with `.report`: `.refuse` threw at the damage.
                throw .corruption(path: unknown.path, offset: unknown.offset, reason: "\(unknown.reason); nothing records how many records the segment held, so a writer could hand out their sequence numbers again")
            }
            let removed = report.removedFiles.count + report.rebuiltIndexes.count + (report.truncatedTail == nil ? 0 : 1)
            if removed > 0 { try fileSystem.syncDirectory(directory) }
        }
        return (slots, report)
    }

    private func damage(_ range: DamagedRange, into report: inout RecoveryReport) throws(SegmentLogError) {
        if refusesDamage { throw .corruption(path: range.path, offset: range.offset, reason: range.reason) }
        report.damage.append(range)
    }

    /// Checks that the segment starting at `base` continues `slots`, then
    /// opens it and appends its slot.
    private func appendSegment(
        base: UInt64, isLast: Bool, hasIndex: Bool, to slots: inout [SegmentSlot], report: inout RecoveryReport
    ) throws(SegmentLogError) {
        let gap = try chain(base: base, to: &slots, report: &report)
        guard var slot = try openSegment(base: base, isLast: isLast, hasIndex: hasIndex, report: &report) else { return }
        if let gap { slot.damage.insert(gap, at: 0) }
        slots.append(slot)
    }

    /// Unreadable bytes at the end of the previous segment whose records
    /// were not known held the sequences up to `base`; any other difference
    /// between where the previous segment ends and `base` is a gap (records
    /// missing: a segment file lost, say) or an overlap. Returns the damage
    /// to report at the start of the segment at `base`.
    private func chain(base: UInt64, to slots: inout [SegmentSlot], report: inout RecoveryReport) throws(SegmentLogError) -> DamagedRange? {
        guard let position = slots.indices.last else { return nil }
        for (d, range) in slots[position].damage.enumerated() where range.missingSequences.upperBound == .max {
            let lower = range.missingSequences.lowerBound
            let clamped = lower..<max(lower, base)
            slots[position].damage[d].missingSequences = clamped
            if let r = report.damage.firstIndex(of: range) { report.damage[r].missingSequences = clamped }
        }
        let expected = slots[position].describedEnd
        guard expected != base else { return nil }
        let path = files.segmentPath(base)
        if refusesDamage { throw .sequenceGap(path: path, expected: expected, found: base) }
        let range = DamagedRange(
            path: path, offset: 0, length: 0,
            reason: "sequence numbers jump from \(expected) to \(base)" + (expected < base ? " (a segment file is missing?)" : ""),
            missingSequences: min(expected, base)..<max(expected, base))
        report.damage.append(range)
        return range
    }

    /// An index file without its segment file: the records it describes are
    /// lost. Its slot holds no readable records, only that damage, so readers
    /// whose query could have matched them are told.
    private func appendMissingSegment(_ index: SegmentIndex, to slots: inout [SegmentSlot], report: inout RecoveryReport) throws(SegmentLogError) {
        let base = index.baseSequence
        let path = files.segmentPath(base)
        let range = DamagedRange(
            path: path, offset: 0, length: index.length,
            reason: "segment file is missing, but its index file \(files.indexPath(base)) describes \(index.recordCount) records in \(index.length) bytes",
            missingSequences: base..<index.nextSequence)
        let gap = try chain(base: base, to: &slots, report: &report)
        try damage(range, into: &report)
        let placeholder = SegmentIndex(baseSequence: base, createdAt: index.createdAt)
        slots.append(SegmentSlot(path: path, file: nil, index: placeholder, isSealed: true, damage: (gap.map { [$0] } ?? []) + [range]))
    }

    /// For a read-only log: picks up what a live writer appended since
    /// `slots` were read — new batches in the last segment and new segments.
    func refresh(_ slots: [SegmentSlot]) throws(SegmentLogError) -> [SegmentSlot] {
        precondition(!writable, "only read-only logs are refreshed")
        // List first: a segment that has a successor in this listing was
        // complete before the successor existed, so the scan below sees all of it.
        let listing = try list()
        var slots = slots
        if let last = slots.last, !last.isSealed, let file = last.file {
            let size = try file.size()
            if size > last.index.length {
                let scanner = SegmentScanner(path: last.path, limits: options.limits, indexInterval: options.indexIntervalBytes)
                let scan = try scanner.scan(file, resuming: last.index, size: size)
                // Damage is judged at open; here an unreadable end is a batch still being written.
                if scan.damage.isEmpty { slots[slots.count - 1].index = scan.index }
            }
        }
        var report = RecoveryReport()
        let known = slots.last?.index.baseSequence
        let newer = listing.segments.filter { known == nil || $0 > known! }
        for (position, base) in newer.enumerated() {
            if !slots.isEmpty {
                slots[slots.count - 1].isSealed = true
                slots[slots.count - 1].file = nil
            }
            try appendSegment(base: base, isLast: position == newer.count - 1, hasIndex: listing.indexes.contains(base), to: &slots, report: &report)
        }
        return slots
    }

    /// The index if re-scanning its last block reproduces it exactly, else nil.
    static func confirmLastBlock(of index: SegmentIndex, in file: any LogFile, scanner: SegmentScanner) throws(SegmentLogError) -> SegmentIndex? {
        guard let lastEntry = index.entries.last else { return index }
        var prefix = SegmentIndex(baseSequence: index.baseSequence, createdAt: index.createdAt)
        prefix.length = lastEntry.offset
        prefix.lastSequence = lastEntry.firstSequence == index.baseSequence ? nil : lastEntry.firstSequence - 1
        let rescan = try scanner.scan(file, resuming: prefix, size: index.length)
        guard rescan.damage.isEmpty, rescan.tail == nil, rescan.index.length == index.length,
              rescan.lastSequence == index.lastSequence, rescan.index.maxTimestamp <= index.maxTimestamp else { return nil }
        return index
    }

    /// Opens one segment file and judges what it holds (see ``judge(base:isLast:file:recorded:fullScan:)``),
    /// then, for a writer, cuts a crash tail and rebuilds a missing index.
    private func openSegment(base: UInt64, isLast: Bool, hasIndex: Bool, report: inout RecoveryReport) throws(SegmentLogError) -> SegmentSlot? {
        let path = files.segmentPath(base)
        let file = try fileSystem.open(path, mode: writable && isLast ? .readWrite : .readOnly)
        var recorded: SegmentIndex? = nil
        if hasIndex, case .success(let index) = files.readIndex(base: base, limits: options.limits) { recorded = index }
        let judged = try judge(base: base, isLast: isLast, file: file, recorded: recorded, fullScan: false)
        if judged.trusted {
            return SegmentSlot(path: path, file: nil, index: judged.scan.index, isSealed: true)
        }
        let found = judged.damage
        for range in found { try damage(range, into: &report) }
        var slot = SegmentSlot(path: path, file: isLast ? file : nil, index: judged.scan.index, isSealed: !isLast, damage: found)
        if let header = judged.header { slot.version = header.version }

        if isLast {
            if let tail = judged.tail {
                report.truncatedTail = tail
                if writable {
                    KillPoint.hit("recovery.before-truncate")
                    try file.truncate(to: tail.offset)
                    try file.sync()
                }
            }
            if writable && !found.isEmpty {
                // Only with `.report`: a writer never appends to a damaged
                // segment, nor removes its index file; it starts a new segment
                // after every sequence number the files describe.
                slot.isSealed = true
                slot.file = nil
            } else if writable && hasIndex && judged.confirmed == nil {
                // An index that does not describe this (undamaged) segment.
                try fileSystem.remove(files.indexPath(base))
                report.removedFiles.append(files.indexPath(base))
            }
            return slot
        }
        if writable && found.isEmpty {
            try files.writeIndex(judged.scan.index)
            report.rebuiltIndexes.append(files.indexPath(base))
        }
        return slot
    }

    /// Judges what one segment file holds by the recovery rules
    /// (docs/format.md): its header, its batches, and whether unreadable
    /// bytes are a crash tail or damage. Changes nothing.
    ///
    /// The segment length its index file records (written when it was
    /// sealed, at a clean close or by ``SegmentLog/markDurable()``) is its
    /// durable point: those bytes were synced. A crash can leave unreadable
    /// bytes only after it, and only in the last segment; anything
    /// unreadable before it, or a file shorter than it, is damage.
    ///
    /// - Parameters:
    ///   - recorded: the segment's index file, if it passed every check.
    ///   - fullScan: read every batch, even of a sealed segment whose index
    ///     matches it or after an active index's confirmed prefix (`verify`).
    ///   - blockStarts: make the scan's blocks begin at these offsets.
    func judge(
        base: UInt64, isLast: Bool, file: any LogFile, recorded: SegmentIndex?, fullScan: Bool,
        blockStarts: Set<Int64>? = nil, keepsBatches: Bool = false
    ) throws(SegmentLogError) -> SegmentJudgement {
        let path = files.segmentPath(base)
        let size = try file.size()
        let headerSize = Int64(SegmentFormat.segmentHeaderSize)
        var judged = SegmentJudgement(path: path, size: size, durable: recorded?.length ?? headerSize, scan: .init(index: SegmentIndex(baseSequence: base, createdAt: 0)))

        var headerBytes = [UInt8](repeating: 0, count: SegmentFormat.segmentHeaderSize)
        let got = try headerBytes.withMutableBytes { (buffer) throws(SegmentLogError) in try file.read(into: buffer, at: 0) }
        do throws(SegmentLogError) {
            let decoded = try headerBytes.withBytes { (buffer) throws(SegmentLogError) in
                try SegmentHeader.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<got]), path: path)
            }
            guard decoded.baseSequence == base else {
                throw .corruption(path: path, offset: 16, reason: "file name says base sequence \(base) but the header says \(decoded.baseSequence)")
            }
            judged.header = decoded
        } catch {
            if case .unsupportedFormat = error { throw error }
            // Segments are created under a temporary name and renamed only once
            // their header is synced, so a crash never leaves a named segment
            // without its header: an empty or unreadable header is damage, even
            // in the last segment, and the records it held are unknown unless
            // an index recorded them.
            var reason = "\(error)"
            var problem = (offset: Int64(0), reason: reason)
            if case .corruption(_, let at, let why) = error {
                reason = at == 0 ? why : "\(why) (byte \(at))"
                problem = (at, why)
            }
            judged.headerProblem = problem
            // With no batches to read, the segment's records are what its
            // index recorded, or unknown.
            let missing = size > headerSize ? base..<base : base..<(recorded.map { max(base, $0.nextSequence) } ?? .max)
            judged.headerDamage = DamagedRange(path: path, offset: 0, length: min(size, headerSize), reason: "segment header unreadable: \(reason)", missingSequences: missing)
        }
        let header = judged.header

        if !fullScan, header != nil, !isLast, let recorded, recorded.length == size {
            // A sealed segment whose index matches it: trusted without reading it.
            judged.trusted = true
            judged.scan = .init(index: recorded, lastSequence: recorded.lastSequence)
            return judged
        }
        let scanner = SegmentScanner(path: path, limits: options.limits, indexInterval: options.indexIntervalBytes,
                                     blockStarts: blockStarts, keepsBatches: keepsBatches)
        if header != nil, isLast, let recorded, recorded.length <= size {
            // The last segment's index comes from a clean close, a durable
            // point or a rotation that crashed before the next segment
            // existed. Its last block is checked again, and only what
            // follows it is scanned: the open costs what the tail costs.
            judged.confirmed = try Self.confirmLastBlock(of: recorded, in: file, scanner: SegmentScanner(path: path, limits: options.limits, indexInterval: options.indexIntervalBytes))
        }
        let durable = judged.durable
        let recordedEnd = recorded?.nextSequence
        let fresh = SegmentIndex(baseSequence: base, createdAt: header?.createdAt ?? recorded?.createdAt ?? 0)
        let start = fullScan ? fresh : (judged.confirmed ?? fresh)
        let scan = size > headerSize || header != nil
            ? try scanner.scan(file, resuming: start, size: size, durableLength: durable)
            : SegmentScanner.Result(index: start)
        judged.scan = scan
        let readableEnd = scan.index.nextSequence
        // What the unreadable end held: what the index recorded, or unknown
        // (the next segment's base bounds it; see `chain`).
        let lostAtEnd = readableEnd..<max(readableEnd, recordedEnd ?? .max)
        if let cut = scan.tail {
            if isLast && header != nil && cut.offset >= durable {
                judged.tail = .init(path: path, offset: cut.offset, bytes: size - cut.offset, reason: cut.reason)
            } else {
                let kind: SegmentJudgement.EndKind = cut.offset < durable ? .beforeDurablePoint : isLast ? .afterDamagedHeader : .sealedTail
                let why: String
                switch kind {
                case .beforeDurablePoint: why = "\(cut.reason); the index file records \(durable) bytes, all synced, so this is damage, not a crash tail"
                case .afterDamagedHeader: why = "\(cut.reason) (after a damaged segment header)"
                default: why = "sealed segment ends in unreadable bytes: \(cut.reason)"
                }
                judged.endDamage = (kind, DamagedRange(path: path, offset: cut.offset, length: max(size, durable) - cut.offset, reason: why, missingSequences: lostAtEnd), cut.reason)
            }
        } else if scan.index.length < durable && size > headerSize {
            judged.endDamage = (.cutShort, DamagedRange(
                path: path, offset: scan.index.length, length: durable - scan.index.length,
                reason: "segment ends at byte \(size) but its index file records \(durable) bytes, all synced: data that was durable is gone",
                missingSequences: readableEnd..<max(readableEnd, recordedEnd ?? readableEnd)), "cut short")
        }
        return judged
    }
}
