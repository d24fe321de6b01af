@testable import SegmentLog

/// The model kernel behind ``FaultFileSystem``: for every file its current
/// contents as processes see them (the page cache) and the changes not yet
/// written back to the real file below; and the directory changes not yet
/// made durable by a directory sync.
///
/// Unsynced data never reaches the real file until a sync or a crash. A crash
/// writes back an arbitrary subset of its dirty sectors (in any order) and
/// undoes a suffix of the unsynced directory changes: what a power cut may
/// leave of a page cache and a journal.
struct PageCacheState {
    /// One file as the model kernel holds it.
    struct CachedFile {
        /// The real file below; written only when changes are written back.
        var real: any LogFile
        /// Contents as readers see them.
        var image: [UInt8]
        /// Changes made to `image` since the last write-back, in order.
        var dirty: [DirtyChange] = []
    }

    enum DirtyChange {
        case write(offset: Int, bytes: [UInt8])
        case truncate(length: Int)
    }

    /// A writer lock handed out, released by a crash if the log still holds it.
    struct WeakLock {
        weak var handle: FaultLockHandle?
    }

    /// A directory change that a crash may undo until its directory is synced.
    enum DirectoryChange {
        case created(path: String)
        case renamed(from: String, to: String, replaced: [UInt8]?)
        case removed(path: String, contents: [UInt8])

        var directories: [String] {
            switch self {
            case .created(let path), .removed(let path, _): return [FaultFileSystem.parent(of: path)]
            case .renamed(let from, let to, _): return [FaultFileSystem.parent(of: from), FaultFileSystem.parent(of: to)]
            }
        }
    }

    var plan: FaultPlan
    var random: SeededGenerator
    var files: [Int: CachedFile] = [:]
    /// Path to file id, for files opened through the layer.
    var names: [String: Int] = [:]
    var directoryChanges: [DirectoryChange] = []
    var locks: [WeakLock] = []
    var nextID = 1
    var crashed = false
    var syncs = 0
    var writes = 0
    var directorySyncs = 0
    /// What was injected, for failure messages.
    var injected: [String] = []

    /// Bytes held by files that still have a name.
    var usedBytes: Int { names.values.reduce(0) { $0 + (files[$1]?.image.count ?? 0) } }

    /// Applies `change` to the real file below `id`.
    func writeBack(_ change: DirtyChange, to file: CachedFile) {
        switch change {
        case .write(let offset, let bytes):
            bytes.withUnsafeBytes { buffer in
                do { try file.real.write(buffer, at: Int64(offset)) } catch {}
            }
        case .truncate(let length):
            try? file.real.truncate(to: Int64(length))
        }
    }

    /// What a power cut (or a failed writeback) leaves of `file`'s unsynced
    /// changes: each dirty 512-byte sector independently reaches the disk
    /// with its latest contents or keeps the old ones — in any order, but
    /// never torn inside a sector, which disks write atomically — and a
    /// pending truncation happens or not.
    mutating func writeBackSomeSectors(of file: CachedFile) {
        var sectors = Set<Int>()
        var truncated = false
        for change in file.dirty {
            switch change {
            case .write(let offset, let bytes):
                guard !bytes.isEmpty else { continue }
                for sector in offset / Self.sectorSize...(offset + bytes.count - 1) / Self.sectorSize { sectors.insert(sector) }
            case .truncate:
                truncated = true
            }
        }
        if truncated && random.chance(1, in: 2) { writeBack(.truncate(length: file.image.count), to: file) }
        for sector in sectors.sorted() where random.chance(1, in: 2) {
            let start = sector * Self.sectorSize
            guard start < file.image.count else { continue }
            let end = min(start + Self.sectorSize, file.image.count)
            writeBack(.write(offset: start, bytes: Array(file.image[start..<end])), to: file)
        }
    }

    static let sectorSize = 512
}
