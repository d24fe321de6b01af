/// The entries of a log directory, sorted by what the format makes of each
/// name (docs/format.md, "Directory"), with their sizes.
///
/// Unlike a writable open, a listing accepts names the log does not own
/// (``foreign``), so `verify` can report them; like every open, it refuses
/// an entry that is not a regular file — a FIFO, device, socket,
/// sub-directory or symbolic link — before anything is opened, since
/// opening a FIFO to read it would wait forever.
public struct LogDirectoryListing: Sendable, Equatable {
    /// The directory as it was given.
    public var directory: String
    /// Base sequences of the segment files, ascending.
    public var segments: [UInt64] = []
    /// Base sequences of the index files, ascending.
    public var indexes: [UInt64] = []
    /// Names of files an interrupted write left (`NNN.seg.tmp`, `NNN.idx.tmp`,
    /// and a repair's `….corrupt.tmp`), sorted.
    public var temporaries: [String] = []
    /// Names of files a repair set aside (`*.corrupt*`), sorted.
    public var corruptFiles: [String] = []
    /// Names of derived files (`NAME.snapshot`: data the layer above can
    /// rebuild from the records, such as the dedupe snapshot), sorted.
    public var derivedFiles: [String] = []
    /// Whether the writer's `LOCK` file exists.
    public var hasLockFile = false
    /// Names that are not files of a log, sorted.
    public var foreign: [String] = []
    /// The size in bytes of every entry, by name.
    public var sizes: [String: Int64] = [:]

    /// Lists `directory`.
    ///
    /// - Parameters:
    ///   - directory: the directory to list.
    ///   - options: supplies the file system to list through.
    /// - Returns: the directory's entries, sorted into the kinds of file a log holds.
    /// - Throws: ``SegmentLogError/io(operation:path:errno:)`` when the
    ///   directory cannot be read (`ENOENT`: it does not exist, `ENOTDIR`:
    ///   it is not a directory), and ``SegmentLogError/unexpectedFile(path:reason:)``
    ///   naming the first entry that is not a regular file and what it is.
    public static func read(directory: String, options: LogOptions = LogOptions()) throws(SegmentLogError) -> LogDirectoryListing {
        var listing = LogDirectoryListing(directory: directory)
        var indexes: [UInt64] = []
        for entry in try options.fileSystem.list(directory).sorted(by: { $0.name < $1.name }) {
            let name = entry.name
            guard entry.kind == .regular else {
                let what = entry.typeDescription.isEmpty ? (entry.kind == .symlink ? "a symbolic link" : "a special file") : entry.typeDescription
                throw .unexpectedFile(path: directory + "/" + name, reason: "is \(what), not a regular file; a log directory holds only its own regular files")
            }
            listing.sizes[name] = entry.size
            if name == SegmentFormat.lockName {
                listing.hasLockFile = true
            } else if SegmentFormat.isInterruptedSetAside(name) {
                listing.temporaries.append(name)
            } else if name.contains(SegmentFormat.corruptSuffix) {
                listing.corruptFiles.append(name)
            } else if SegmentFormat.isDerivedName(Substring(name)) {
                listing.derivedFiles.append(name)
            } else if let base = base(of: name, suffix: ".seg") {
                listing.segments.append(base)
            } else if let base = base(of: name, suffix: ".idx") {
                indexes.append(base)
            } else if name.hasSuffix(SegmentFormat.temporarySuffix),
                      base(of: String(name.dropLast(SegmentFormat.temporarySuffix.count)), suffix: ".seg") != nil
                        || base(of: String(name.dropLast(SegmentFormat.temporarySuffix.count)), suffix: ".idx") != nil
                        || SegmentFormat.isDerivedName(Substring(name).dropLast(SegmentFormat.temporarySuffix.count)) {
                listing.temporaries.append(name)
            } else {
                listing.foreign.append(name)
            }
        }
        listing.segments.sort()
        listing.indexes = indexes.sorted()
        return listing
    }

    /// The file name of the segment that starts at `base` (`NNNNNNNNNNNNNNNNNNNN.seg`).
    ///
    /// - Parameter base: the segment's first sequence number.
    public static func segmentName(_ base: UInt64) -> String { SegmentFormat.segmentName(base) }
    /// The file name of the index of the segment that starts at `base`.
    ///
    /// - Parameter base: the segment's first sequence number.
    public static func indexName(_ base: UInt64) -> String { SegmentFormat.indexName(base) }

    /// Index files whose segment file is not in the directory.
    public var orphanIndexes: [UInt64] { indexes.filter { !Set(segments).contains($0) } }

    func segmentPath(_ base: UInt64) -> String { directory + "/" + SegmentFormat.segmentName(base) }
    func indexPath(_ base: UInt64) -> String { directory + "/" + SegmentFormat.indexName(base) }

    private static func base(of name: String, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        return SegmentFormat.parseBase(Substring(name).dropLast(suffix.count))
    }
}
