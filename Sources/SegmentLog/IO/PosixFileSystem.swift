import CWriteback
#if canImport(Glibc)
import Glibc
#endif

/// ``LogFileSystem`` over POSIX system calls.
package struct PosixFileSystem: LogFileSystem {
    package init() {}

    package func open(_ path: String, mode: FileOpenMode) throws(SegmentLogError) -> any LogFile {
        let flags: Int32
        switch mode {
        case .readOnly: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .createNew: flags = O_RDWR | O_CREAT | O_EXCL
        case .createOrTruncate: flags = O_RDWR | O_CREAT | O_TRUNC
        }
        // O_NONBLOCK: opening a FIFO put where a log file belongs must not wait
        // for a writer to appear (it changes nothing for regular files).
        let fd = retryingEINTR { Glibc.open(path, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode_t(0o600)) }
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        try Self.requireRegularFile(fd, path: path)
        if mode == .createNew || mode == .createOrTruncate {
            // The umask may have removed bits or left others; the log's files are exactly 0600.
            guard fchmod(fd, 0o600) == 0 else {
                let code = errno
                Glibc.close(fd)
                throw .io(operation: "fchmod", path: path, errno: code)
            }
        }
        return PosixFile(fd: fd, path: path)
    }

    package func createDirectory(_ path: String) throws(SegmentLogError) {
        var isDirectory = false
        var info = stat()
        if lstat(path, &info) == 0 {
            isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            guard isDirectory else {
                throw .unexpectedFile(path: path, reason: "exists and is not a directory")
            }
            return
        }
        let parent = Self.parent(of: path)
        if parent != path, !parent.isEmpty, lstat(parent, &info) != 0 {
            try createDirectory(parent)
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw .io(operation: "mkdir", path: path, errno: errno)
        }
        guard chmod(path, 0o700) == 0 else { throw .io(operation: "chmod", path: path, errno: errno) }
        if !parent.isEmpty { try? syncDirectory(parent) }
    }

    package func list(_ path: String) throws(SegmentLogError) -> [DirectoryEntry] {
        guard let dir = opendir(path) else { throw .io(operation: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var info = stat()
            let kind: DirectoryEntry.Kind
            var size: Int64 = 0
            var type = "a special file"
            if lstat(path + "/" + name, &info) != 0 {
                // Gone since readdir (a writer renamed or removed it): not an entry any more.
                if errno == ENOENT { continue }
                kind = .other
                type = "unreadable (\(SegmentLogError.errnoText(errno)))"
            } else {
                size = Int64(info.st_size)
                type = info.st_mode & S_IFMT == S_IFREG ? "a regular file" : Self.describe(fileType: info.st_mode & S_IFMT)
                switch info.st_mode & S_IFMT {
                case S_IFREG: kind = .regular
                case S_IFDIR: kind = .directory
                case S_IFLNK: kind = .symlink
                default: kind = .other
                }
            }
            entries.append(DirectoryEntry(name: name, kind: kind, size: size, typeDescription: type))
        }
        return entries
    }

    package func rename(_ from: String, to: String) throws(SegmentLogError) {
        guard Glibc.rename(from, to) == 0 else { throw .io(operation: "rename to \(to)", path: from, errno: errno) }
    }

    package func remove(_ path: String) throws(SegmentLogError) {
        if unlink(path) == 0 || errno == ENOENT { return }
        // Linux answers EISDIR for a directory; an empty one is removed as such.
        guard errno == EISDIR else { throw .io(operation: "unlink", path: path, errno: errno) }
        guard rmdir(path) == 0 || errno == ENOENT else { throw .io(operation: "rmdir", path: path, errno: errno) }
    }

    package func syncDirectory(_ path: String) throws(SegmentLogError) {
        let fd = retryingEINTR { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .io(operation: "open directory", path: path, errno: errno) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync directory", path: path, errno: errno) }
    }

    package func lockExclusive(_ path: String) throws(SegmentLogError) -> any LogFile {
        // The directory itself is locked as well as the lock file: deleting
        // the lock file must not let a second writer in.
        let directory = Self.parent(of: path)
        let directoryLock = try lock(directory, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC, reportedAs: path)
        let fileLock = try lock(path, flags: O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, reportedAs: path)
        return PosixLockPair(file: fileLock, directory: directoryLock)
    }

    private func lock(_ path: String, flags: Int32, reportedAs lockPath: String) throws(SegmentLogError) -> PosixFile {
        let fd = retryingEINTR { Glibc.open(path, flags | O_NONBLOCK, mode_t(0o600)) }
        guard fd >= 0 else { throw .io(operation: "open for locking", path: path, errno: errno) }
        if flags & O_DIRECTORY == 0 { try Self.requireRegularFile(fd, path: path) }
        if flags & O_CREAT != 0 { _ = fchmod(fd, 0o600) }
        // flock locks belong to the open file description: a second open of the
        // same file, in this process or another, is refused just the same.
        // A child forked by this process holds the description until it execs,
        // so a lock just released can look held for a moment: retry briefly
        // (well under the second a second writer may wait to be refused).
        var attempts = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            attempts += 1
            if code == EWOULDBLOCK && attempts < 25 {
                usleep(10_000)
                continue
            }
            Glibc.close(fd)
            if code == EWOULDBLOCK { throw .locked(path: lockPath) }
            throw .io(operation: "flock", path: path, errno: code)
        }
        return PosixFile(fd: fd, path: path)
    }

    /// Refuses (and closes) a descriptor that is not a regular file: a FIFO,
    /// device or directory where a log file belongs is never read or locked.
    private static func requireRegularFile(_ fd: Int32, path: String) throws(SegmentLogError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .io(operation: "fstat", path: path, errno: code)
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            Glibc.close(fd)
            throw .unexpectedFile(path: path, reason: "is \(Self.describe(fileType: type)), not a regular file; a log directory holds only its own regular files")
        }
    }

    /// "a FIFO", "a directory"…, for messages about a file of the wrong type.
    package static func describe(fileType type: mode_t) -> String {
        switch type {
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// The writer's two locks (lock file and directory), released together.
final class PosixLockPair: LogFile {
    let file: PosixFile
    let directory: PosixFile
    init(file: PosixFile, directory: PosixFile) {
        self.file = file
        self.directory = directory
    }
    var path: String { file.path }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int { try file.read(into: buffer, at: offset) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError) { try file.write(bytes, at: offset) }
    func sync() throws(SegmentLogError) { try file.sync() }
    func truncate(to length: Int64) throws(SegmentLogError) { try file.truncate(to: length) }
    func size() throws(SegmentLogError) -> Int64 { try file.size() }
}

/// A POSIX file descriptor, closed when the last reference goes away, so a
/// reader can finish a segment that retention has just unlinked.
package final class PosixFile: LogFile {
    package let fd: Int32
    package let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { Glibc.close(fd) }

    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pread at offset \(offset + Int64(done))", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pwrite at offset \(offset + Int64(done))", path: path, errno: errno)
            }
            done += n
        }
    }

    package func sync() throws(SegmentLogError) {
        // Never retried: after a failed fdatasync the kernel may already have
        // dropped the dirty pages, and a second call could report success.
        guard fdatasync(fd) == 0 else { throw .io(operation: "fdatasync", path: path, errno: errno) }
    }

    package func startWriteback(offset: Int64, length: Int64) {
        // Advisory: a failure here (say EIO) is reported again by the next fdatasync.
        _ = slog_start_writeback(fd, offset, length)
    }

    package func truncate(to length: Int64) throws(SegmentLogError) {
        let result = retryingEINTR { ftruncate(fd, off_t(length)) }
        guard result == 0 else { throw .io(operation: "ftruncate to \(length)", path: path, errno: errno) }
    }

    package func size() throws(SegmentLogError) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        return Int64(info.st_size)
    }
}

@inline(__always)
func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
