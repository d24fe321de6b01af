import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
@testable import SegmentLog

/// A ``LogFileSystem`` for fault tests: real files underneath (through
/// ``PosixFileSystem``), a model page cache in between, and injected faults.
///
/// Writes land in the model cache and reach the real file only when the file
/// is synced, so ``crash(using:)`` can decide what a power cut leaves behind
/// (docs/reliability-tests.md #3, #6). ``FaultPlan`` adds failing fsyncs (#11), a full
/// disk (#12) and writes that fail part-way (#13). After a crash every call
/// fails, as it would in a dead process, and the writer lock is released so
/// the test can reopen the directory with a fresh file system.
final class FaultFileSystem: LogFileSystem {
    private let state: Mutex<PageCacheState>
    private let posix = PosixFileSystem()

    init(seed: UInt64, plan: FaultPlan = FaultPlan()) {
        state = Mutex(PageCacheState(plan: plan, random: SeededGenerator(seed: seed)))
    }

    /// Changes the fault plan (say, frees disk space) while the log runs.
    func updatePlan(_ change: (inout FaultPlan) -> Void) { state.withLock { change(&$0.plan) } }

    /// Counters so far: file syncs, writes, directory syncs.
    var counts: (syncs: Int, writes: Int, directorySyncs: Int) { state.withLock { ($0.syncs, $0.writes, $0.directorySyncs) } }

    /// The faults injected so far, for failure messages.
    var injected: [String] { state.withLock { $0.injected } }

    /// Bytes the files hold as processes see them (what a capacity limits).
    var usedBytes: Int { state.withLock { $0.usedBytes } }

    /// Whether any file has data a crash could lose.
    var hasUnsyncedData: Bool { state.withLock { $0.files.values.contains { !$0.dirty.isEmpty } || !$0.directoryChanges.isEmpty } }

    // MARK: Power cut

    /// Cuts the power: writes back a random subset of each file's dirty
    /// sectors (in any order; see ``PageCacheState/writeBackSomeSectors(of:)``),
    /// keeps a random prefix of the unsynced directory changes and undoes the
    /// rest, then fails every later call and releases the writer lock.
    func crash(using random: inout SeededGenerator) {
        state.withLock { state in
            state.random = SeededGenerator(seed: random.split())
            for (_, file) in state.files.sorted(by: { $0.key < $1.key }) where !file.dirty.isEmpty {
                state.writeBackSomeSectors(of: file)
            }
            let kept = random.int(0...state.directoryChanges.count)
            for change in state.directoryChanges[kept...].reversed() {
                Self.undo(change)
            }
            state.directoryChanges.removeAll()
            state.crashed = true
            state.files.removeAll()
            state.names.removeAll()
            for lock in state.locks { lock.handle?.release() }
            state.locks.removeAll()
        }
    }

    private static func undo(_ change: PageCacheState.DirectoryChange) {
        switch change {
        case .created(let path):
            unlink(path)
        case .renamed(let from, let to, let replaced):
            Glibc.rename(to, from)
            if let replaced { writeWhole(to, replaced) }
        case .removed(let path, let contents):
            writeWhole(path, contents)
        }
    }

    private static func writeWhole(_ path: String, _ contents: [UInt8]) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        _ = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    private static func realContents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    private func alive(_ state: PageCacheState, _ path: String) throws(SegmentLogError) {
        if state.crashed { throw .io(operation: "any call after the simulated power cut", path: path, errno: EIO) }
    }

    // MARK: LogFileSystem

    func open(_ path: String, mode: FileOpenMode) throws(SegmentLogError) -> any LogFile {
        try state.withLock { (state) throws(SegmentLogError) -> any LogFile in
            try alive(state, path)
            switch mode {
            case .readOnly, .readWrite:
                if let id = state.names[path] { return FaultFile(fileSystem: self, id: id, path: path) }
                let real = try posix.open(path, mode: .readWrite)
                let size = Int(try real.size())
                var image = [UInt8](repeating: 0, count: size)
                let loaded = image.withUnsafeMutableBytes { buffer in
                    Result { () throws(SegmentLogError) in try real.read(into: buffer, at: 0) }
                }
                _ = try loaded.get()
                return adopt(&state, path: path, file: PageCacheState.CachedFile(real: real, image: image))
            case .createNew, .createOrTruncate:
                var info = stat()
                let existed = lstat(path, &info) == 0
                let real = try posix.open(path, mode: mode)
                if let id = state.names[path] {
                    // O_TRUNC empties the same inode in place.
                    state.files[id]?.real = real
                    state.files[id]?.image = []
                    state.files[id]?.dirty = []
                    return FaultFile(fileSystem: self, id: id, path: path)
                }
                if !existed { state.directoryChanges.append(.created(path: path)) }
                return adopt(&state, path: path, file: PageCacheState.CachedFile(real: real, image: []))
            }
        }
    }

    private func adopt(_ state: inout PageCacheState, path: String, file: PageCacheState.CachedFile) -> any LogFile {
        let id = state.nextID
        state.nextID += 1
        state.files[id] = file
        state.names[path] = id
        return FaultFile(fileSystem: self, id: id, path: path)
    }

    func createDirectory(_ path: String) throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in try alive(state, path) }
        try posix.createDirectory(path)
    }

    func list(_ path: String) throws(SegmentLogError) -> [DirectoryEntry] {
        try state.withLock { (state) throws(SegmentLogError) in try alive(state, path) }
        return try posix.list(path)
    }

    func rename(_ from: String, to: String) throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try alive(state, from)
            let replaced = Self.realContents(to)
            try posix.rename(from, to: to)
            if let id = state.names.removeValue(forKey: from) {
                state.names[to] = id
            } else {
                state.names.removeValue(forKey: to)
            }
            state.directoryChanges.append(.renamed(from: from, to: to, replaced: replaced))
        }
    }

    func remove(_ path: String) throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try alive(state, path)
            guard let contents = Self.realContents(path) else { return }
            try posix.remove(path)
            state.names.removeValue(forKey: path)
            state.directoryChanges.append(.removed(path: path, contents: contents))
        }
    }

    func syncDirectory(_ path: String) throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try alive(state, path)
            state.directorySyncs += 1
            if state.plan.failingDirectorySync == state.directorySyncs {
                state.injected.append("directory sync \(state.directorySyncs) of \(path) failed with EIO")
                throw .io(operation: "fsync directory", path: path, errno: EIO)
            }
            state.directoryChanges.removeAll { $0.directories.contains(path) }
        }
    }

    func lockExclusive(_ path: String) throws(SegmentLogError) -> any LogFile {
        try state.withLock { (state) throws(SegmentLogError) -> any LogFile in
            try alive(state, path)
            let handle = FaultLockHandle(path: path, lock: try posix.lockExclusive(path))
            state.locks.removeAll { $0.handle == nil }
            state.locks.append(PageCacheState.WeakLock(handle: handle))
            return handle
        }
    }

    // MARK: File operations (called by FaultFile)

    func read(_ id: Int, path: String, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int {
        try state.withLock { (state) throws(SegmentLogError) -> Int in
            try alive(state, path)
            guard let file = state.files[id] else { throw .io(operation: "pread", path: path, errno: EBADF) }
            let start = Int(offset)
            guard start < file.image.count else { return 0 }
            let count = min(buffer.count, file.image.count - start)
            file.image.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: count) }
            return count
        }
    }

    func write(_ id: Int, path: String, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try alive(state, path)
            guard state.files[id] != nil else { throw .io(operation: "pwrite", path: path, errno: EBADF) }
            state.writes += 1
            let start = Int(offset)
            var allowed = bytes.count
            var failure: Int32?
            if state.plan.failingWrite == state.writes {
                allowed = bytes.count / 2
                failure = state.plan.writeErrno
                state.injected.append("write \(state.writes) to \(path) at \(offset) stopped after \(allowed) of \(bytes.count) bytes with errno \(state.plan.writeErrno)")
            }
            if let capacity = state.plan.capacityBytes {
                let size = state.files[id]!.image.count
                let free = max(0, capacity - state.usedBytes)
                let fits = max(0, size + free - start)
                if fits < allowed {
                    allowed = fits
                    failure = ENOSPC
                    state.injected.append("write \(state.writes) to \(path) at \(offset) hit the \(capacity)-byte capacity after \(allowed) of \(bytes.count) bytes")
                }
            }
            if allowed > 0 {
                let part = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[0..<allowed]))
                if state.files[id]!.image.count < start + allowed {
                    state.files[id]!.image.append(contentsOf: repeatElement(0, count: start + allowed - state.files[id]!.image.count))
                }
                state.files[id]!.image.replaceSubrange(start..<start + allowed, with: part)
                state.files[id]!.dirty.append(.write(offset: start, bytes: part))
            }
            if let failure { throw .io(operation: "pwrite at offset \(start + allowed)", path: path, errno: failure) }
        }
    }

    func truncate(_ id: Int, path: String, to length: Int64) throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try alive(state, path)
            guard state.files[id] != nil else { throw .io(operation: "ftruncate", path: path, errno: EBADF) }
            let length = Int(length)
            if state.files[id]!.image.count > length {
                state.files[id]!.image.removeSubrange(length...)
            } else {
                state.files[id]!.image.append(contentsOf: repeatElement(0, count: length - state.files[id]!.image.count))
            }
            state.files[id]!.dirty.append(.truncate(length: length))
        }
    }

    func sync(_ id: Int, path: String) throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try alive(state, path)
            guard let file = state.files[id] else { throw .io(operation: "fdatasync", path: path, errno: EBADF) }
            state.syncs += 1
            if state.plan.failingSync == state.syncs {
                // The kernel writes back what it can, then marks every page clean.
                state.writeBackSomeSectors(of: file)
                state.files[id]!.dirty.removeAll()
                state.injected.append("sync \(state.syncs) of \(path) failed with errno \(state.plan.syncErrno) after writing back part of \(file.dirty.count) changes")
                throw .io(operation: "fdatasync", path: path, errno: state.plan.syncErrno)
            }
            for change in file.dirty { state.writeBack(change, to: file) }
            state.files[id]!.dirty.removeAll()
        }
    }

    func size(_ id: Int, path: String) throws(SegmentLogError) -> Int64 {
        try state.withLock { (state) throws(SegmentLogError) -> Int64 in
            try alive(state, path)
            guard let file = state.files[id] else { throw .io(operation: "fstat", path: path, errno: EBADF) }
            return Int64(file.image.count)
        }
    }
}
