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
            if name == SegmentFormat.lockName || name.contains(SegmentFormat.corruptSuffix) { continue }
            if name.hasSuffix(SegmentFormat.temporarySuffix) {
                let stem = name.dropLast(SegmentFormat.temporarySuffix.count)
                if Self.base(of: stem, suffix: ".seg") != nil || Self.base(of: stem, suffix: ".idx") != nil {
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
            throw .unexpectedFile(path: path, reason: "is not a file of a SignalLog log (expected NNNNNNNNNNNNNNNNNNNN.seg, .idx or LOCK)")
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
            for base in listing.indexes.subtracting(listing.segments).sorted() {
                try fileSystem.remove(files.indexPath(base))
                report.removedFiles.append(files.indexPath(base))
            }
        }
        var slots: [SegmentSlot] = []
        for (position, base) in listing.segments.enumerated() {
            let isLast = position == listing.segments.count - 1
            if let slot = try openSegment(base: base, isLast: isLast, hasIndex: listing.indexes.contains(base), previous: slots.last, report: &report) {
                slots.append(slot)
            }
        }
        // Unreadable bytes at the end of a sealed segment held the sequences
        // up to where the next segment starts.
        for position in slots.indices.dropLast() {
            let next = slots[position + 1].index.baseSequence
            for (d, damage) in slots[position].damage.enumerated() where damage.missingSequences.isEmpty {
                let from = slots[position].index.nextSequence
                guard from < next else { continue }
                slots[position].damage[d].missingSequences = from..<next
                if let r = report.damage.firstIndex(of: damage) { report.damage[r].missingSequences = from..<next }
            }
        }
        if writable {
            let removed = report.removedFiles.count + report.rebuiltIndexes.count + (report.truncatedTail == nil ? 0 : 1)
            if removed > 0 { try fileSystem.syncDirectory(directory) }
        }
        return (slots, report)
    }

    private func damage(_ range: DamagedRange, into report: inout RecoveryReport) throws(SegmentLogError) {
        if refusesDamage { throw .corruption(path: range.path, offset: range.offset, reason: range.reason) }
        report.damage.append(range)
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
            let isLast = position == newer.count - 1
            if let slot = try openSegment(base: base, isLast: isLast, hasIndex: listing.indexes.contains(base), previous: slots.last, report: &report) {
                slots.append(slot)
            }
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

    private func openSegment(
        base: UInt64, isLast: Bool, hasIndex: Bool, previous: SegmentSlot?, report: inout RecoveryReport
    ) throws(SegmentLogError) -> SegmentSlot? {
        let path = files.segmentPath(base)
        let file = try fileSystem.open(path, mode: writable && isLast ? .readWrite : .readOnly)
        let size = try file.size()

        var headerBytes = [UInt8](repeating: 0, count: SegmentFormat.segmentHeaderSize)
        let got = try headerBytes.withMutableBytes { (buffer) throws(SegmentLogError) in try file.read(into: buffer, at: 0) }
        let header: SegmentHeader
        do throws(SegmentLogError) {
            header = try headerBytes.withBytes { (buffer) throws(SegmentLogError) in
                try SegmentHeader.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<got]), path: path)
            }
        } catch {
            // Segments are created under a temporary name and renamed only once
            // their header is synced, so a bad header is damage, except for an
            // empty last file a lost rename could leave behind.
            if isLast && size <= Int64(SegmentFormat.segmentHeaderSize) && headerBytes.allSatisfy({ $0 == 0 }) {
                if writable {
                    try fileSystem.remove(path)
                    report.removedFiles.append(path)
                }
                return nil
            }
            if case .unsupportedFormat = error { throw error }
            let expected = previous?.index.nextSequence ?? base
            try damage(DamagedRange(path: path, offset: 0, length: size, reason: "\(error)", missingSequences: expected..<expected), into: &report)
            return nil
        }
        guard header.baseSequence == base else {
            throw .corruption(path: path, offset: 16, reason: "file name says base sequence \(base) but the header says \(header.baseSequence)")
        }
        if let previous, previous.index.nextSequence != base {
            if refusesDamage { throw .sequenceGap(path: path, expected: previous.index.nextSequence, found: base) }
            let gap = min(previous.index.nextSequence, base)..<max(previous.index.nextSequence, base)
            report.damage.append(DamagedRange(path: path, offset: 0, length: 0, reason: "sequence numbers jump from \(previous.index.nextSequence) to \(base)", missingSequences: gap))
        }

        let scanner = SegmentScanner(path: path, limits: options.limits, indexInterval: options.indexIntervalBytes)
        var staleIndex = false
        var known: SegmentIndex? = nil
        if hasIndex {
            switch files.loadIndex(base: base, segmentSize: size, limits: options.limits, prefix: isLast) {
            case .success(let index) where !isLast:
                return SegmentSlot(path: path, file: nil, index: index, isSealed: true)
            case .success(let index):
                // The last segment's index comes from a clean close (or from a
                // rotation that crashed before the next segment existed). Its
                // last block is checked again, and only what follows it is
                // scanned: the open costs what the tail costs.
                if let trusted = try Self.confirmLastBlock(of: index, in: file, scanner: scanner) {
                    known = trusted
                    staleIndex = trusted.length != size
                } else {
                    staleIndex = true
                }
            case .failure:
                staleIndex = true
            }
        }

        let scan = try scanner.scan(file, resuming: known ?? SegmentIndex(baseSequence: header.baseSequence, createdAt: header.createdAt), size: size)
        for range in scan.damage { try damage(range, into: &report) }
        var slot = SegmentSlot(path: path, file: isLast ? file : nil, index: scan.index, isSealed: !isLast, damage: scan.damage)

        if isLast {
            if let tail = scan.tail {
                report.truncatedTail = .init(path: path, offset: tail.offset, bytes: size - tail.offset, reason: tail.reason)
                if writable {
                    KillPoint.hit("recovery.before-truncate")
                    try file.truncate(to: tail.offset)
                    try file.sync()
                }
            }
            if staleIndex && writable {
                try fileSystem.remove(files.indexPath(base))
                report.removedFiles.append(files.indexPath(base))
            }
            return slot
        }
        if let tail = scan.tail {
            // A sealed segment was synced whole before its successor existed.
            let range = DamagedRange(
                path: path, offset: tail.offset, length: size - tail.offset,
                reason: "sealed segment ends in unreadable bytes: \(tail.reason)",
                missingSequences: scan.index.nextSequence..<scan.index.nextSequence)
            try damage(range, into: &report)
            slot.damage.append(range)
        }
        if writable && slot.damage.isEmpty {
            try files.writeIndex(scan.index)
            report.rebuiltIndexes.append(files.indexPath(base))
        }
        return slot
    }
}
