#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// The files of a log directory as the format names them, and who holds its lock.
struct LogDirectory {
    let path: String
    var segments: [UInt64] = []
    var indexes: Set<UInt64> = []
    var temporaries: [String] = []
    var corruptFiles: [String] = []
    var hasLockFile = false
    /// Names the log does not own.
    var foreign: [String] = []

    func segmentPath(_ base: UInt64) -> String { path + "/" + OnDisk.segmentName(base) }
    func indexPath(_ base: UInt64) -> String { path + "/" + OnDisk.indexName(base) }

    /// Lists `path`, failing with a one-line message (exit 2) if it is missing,
    /// not a directory, unreadable, or holds no segment files.
    static func list(_ path: String, requireSegments: Bool = true) throws(CLIError) -> LogDirectory {
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            if code == ENOENT { throw .unusable("\(path): no such directory") }
            throw .unusable("\(path): \(String(cString: strerror(code)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .unusable("\(path): not a directory (expected a log directory)") }
        guard let dir = opendir(path) else { throw .unusable("\(path): cannot read directory: \(String(cString: strerror(errno)))") }
        defer { closedir(dir) }
        var listing = LogDirectory(path: path)
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            // A FIFO, device, socket, directory or symbolic link among the log's
            // files is refused before anything is opened: reading a FIFO would hang.
            var entryInfo = stat()
            if lstat(path + "/" + name, &entryInfo) != 0 {
                if errno == ENOENT { continue }  // removed since readdir (retention, a rename)
                throw .unusable("\(path)/\(name): \(String(cString: strerror(errno)))")
            }
            let type = entryInfo.st_mode & S_IFMT
            guard type == S_IFREG else {
                throw .unusable("\(path) is not a usable log: \(path)/\(name) is \(PosixFileSystem.describe(fileType: type)), not a regular file; a log directory holds only its own regular files")
            }
            if name == "LOCK" { listing.hasLockFile = true; continue }
            if name.contains(".corrupt") { listing.corruptFiles.append(name); continue }
            if let base = OnDisk.base(of: name, suffix: ".seg") { listing.segments.append(base); continue }
            if let base = OnDisk.base(of: name, suffix: ".idx") { listing.indexes.insert(base); continue }
            if name.hasSuffix(".tmp"), OnDisk.base(of: String(name.dropLast(4)), suffix: ".seg") != nil || OnDisk.base(of: String(name.dropLast(4)), suffix: ".idx") != nil {
                listing.temporaries.append(name)
                continue
            }
            listing.foreign.append(name)
        }
        listing.segments.sort()
        listing.corruptFiles.sort()
        listing.temporaries.sort()
        listing.foreign.sort()
        if requireSegments && listing.segments.isEmpty {
            if listing.foreign.isEmpty && listing.indexes.isEmpty {
                throw .unusable("\(path): not a SignalLog log (no segment files; the directory is empty)")
            }
            throw .unusable("\(path): not a SignalLog log (no NNNNNNNNNNNNNNNNNNNN.seg segment files)")
        }
        return listing
    }

    /// Opens the log read-only through the engine (no lock, no changes).
    func openReadOnly() throws(CLIError) -> SegmentLog {
        if let name = foreign.first {
            throw .unusable("\(path) is not a SignalLog log: \(path)/\(name) is not a file of a log (expected NNNNNNNNNNNNNNNNNNNN.seg, .idx or LOCK)")
        }
        do {
            return try SegmentLog.openReadOnly(directory: path)
        } catch {
            throw CLIError.from(error, directory: path)
        }
    }

    /// Takes the log's writer lock for a command that reads the log and then
    /// changes it, so that no writer can get in between its plan and its
    /// last change (docs/cli.md). Fails with exit status 2, naming the
    /// holder, while a writer has the log.
    func acquireWriterLock(for command: String) throws(CLIError) -> WriterLock {
        do {
            return try WriterLock.acquire(directory: path)
        } catch .locked {
            let pid = writerPID()
            throw CLIError("\(path) is locked by a running writer\(pid.map { $0 > 0 ? " (pid \($0))" : "" } ?? ""); \(command) needs the writer lock, so stop the writer first", exitCode: ExitStatus.unusable)
        } catch {
            throw CLIError.from(error, directory: path)
        }
    }

    /// Says on stderr that the torn tail of a crash was left out, when the
    /// log was opened with one and no writer is running (a live writer's
    /// half-written batch is not a tail): reading commands pass over nothing
    /// in silence, though a crash tail is not damage and leaves the exit
    /// status alone.
    func noteTornTail(of log: SegmentLog) {
        guard let tail = log.recoveryReport.truncatedTail, writerPID() == nil else { return }
        StandardError.line("signallog: note: \(tail.path) ends in \(tail.bytes) bytes of an interrupted write at offset \(tail.offset) (\(tail.reason)); they hold no complete batch and are not shown")
    }

    /// Whether a process holds the writer lock, from `/proc/locks` (which
    /// lists flock locks without anyone having to take one): the holder's pid,
    /// `0` if held by an unknown process, nil if the lock is free or unknown.
    func writerPID() -> Int32? {
        var info = stat()
        guard stat(path + "/LOCK", &info) == 0 else { return nil }
        guard let file = fopen("/proc/locks", "r") else { return nil }
        defer { fclose(file) }
        let inode = UInt64(info.st_ino)
        let major = UInt32((info.st_dev >> 8) & 0xfff) | UInt32((info.st_dev >> 32) & ~0xfff)
        let minor = UInt32(info.st_dev & 0xff) | UInt32((info.st_dev >> 12) & ~0xff)
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let length = line.firstIndex(of: 0) ?? line.count
            let text = String(decoding: line[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, !fields.contains("->") else { continue }
            // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
            let id = fields[5].split(separator: ":")
            guard id.count == 3, UInt64(id[2]) == inode,
                  UInt32(id[0], radix: 16) == major, UInt32(id[1], radix: 16) == minor else { continue }
            return Int32(fields[4]) ?? 0
        }
        return nil
    }
}
