/// Creating segment files and writing index files, each made atomic by
/// writing a temporary file, syncing it, renaming it into place and syncing
/// the directory: a crash leaves either the old state or the new one.
struct SegmentFiles {
    let directory: String
    let fileSystem: any LogFileSystem

    func segmentPath(_ base: UInt64) -> String { directory + "/" + SegmentFormat.segmentName(base) }
    func indexPath(_ base: UInt64) -> String { directory + "/" + SegmentFormat.indexName(base) }

    /// Creates an empty segment that starts at `base` and opens it for appending.
    func createSegment(base: UInt64, createdAt: Int64) throws(SegmentLogError) -> any LogFile {
        let path = segmentPath(base)
        let temporary = path + SegmentFormat.temporarySuffix
        do {
            let file = try fileSystem.open(temporary, mode: .createOrTruncate)
            KillPoint.hit("segment.after-temp-create")
            try SegmentHeader(baseSequence: base, createdAt: createdAt).bytes.withBytes { (bytes) throws(SegmentLogError) in
                try file.write(bytes, at: 0)
            }
            try Self.syncing(temporary) { () throws(SegmentLogError) in try file.sync() }
            KillPoint.hit("segment.after-header")
        }
        try fileSystem.rename(temporary, to: path)
        KillPoint.hit("segment.after-rename")
        try Self.syncing(directory) { () throws(SegmentLogError) in try fileSystem.syncDirectory(directory) }
        KillPoint.hit("segment.after-directory-sync")
        return try fileSystem.open(path, mode: .readWrite)
    }

    /// Writes the index file of a sealed segment.
    func writeIndex(_ index: SegmentIndex) throws(SegmentLogError) {
        let path = indexPath(index.baseSequence)
        let temporary = path + SegmentFormat.temporarySuffix
        do {
            let file = try fileSystem.open(temporary, mode: .createOrTruncate)
            try IndexFile.encode(index).withBytes { (bytes) throws(SegmentLogError) in
                try file.write(bytes, at: 0)
            }
            try Self.syncing(temporary) { () throws(SegmentLogError) in try file.sync() }
            KillPoint.hit("index.after-temp-write")
        }
        try fileSystem.rename(temporary, to: path)
        KillPoint.hit("index.after-rename")
        try Self.syncing(directory) { () throws(SegmentLogError) in try fileSystem.syncDirectory(directory) }
    }

    /// Runs a sync and reports its failure as ``SegmentLogError/durabilityLost(path:errno:)``:
    /// after a failed fsync nothing the kernel held can be trusted, so the
    /// caller must stop writing rather than retry.
    static func syncing(_ path: String, _ sync: () throws(SegmentLogError) -> Void) throws(SegmentLogError) {
        do {
            try sync()
        } catch {
            throw .durabilityLost(path: path, errno: SegmentLog.errno(of: error))
        }
    }

    /// Reads and checks the index file of the segment at `base` (its
    /// checksum, every count, and that it names this segment); the failure
    /// says why it is missing or unusable. How its length relates to the
    /// segment file is for the caller to judge (see ``LogRecovery``).
    /// With `checkingBase` false, an index for another base is returned as it is.
    func readIndex(base: UInt64, limits: LogLimits, checkingBase: Bool = true) -> Swift.Result<SegmentIndex, SegmentLogError> {
        let path = indexPath(base)
        do throws(SegmentLogError) {
            let file = try fileSystem.open(path, mode: .readOnly)
            let size = try file.size()
            guard size <= Int64(limits.maxIndexBytes) else {
                throw .limitExceeded(what: "index file \(path)", value: Int(size), limit: limits.maxIndexBytes)
            }
            var bytes = [UInt8](repeating: 0, count: Int(size))
            let got = try bytes.withMutableBytes { (buffer) throws(SegmentLogError) in try file.read(into: buffer, at: 0) }
            guard got == Int(size) else { throw .corruption(path: path, offset: Int64(got), reason: "index file shrank while being read") }
            let index = try bytes.withBytes { (buffer) throws(SegmentLogError) in try IndexFile.decode(buffer, path: path) }
            guard index.baseSequence == base || !checkingBase else {
                throw .corruption(path: path, offset: 16, reason: "index is for base sequence \(index.baseSequence), not \(base)")
            }
            return .success(index)
        } catch {
            return .failure(error)
        }
    }
}
