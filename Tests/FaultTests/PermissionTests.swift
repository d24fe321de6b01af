import TestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SegmentLog

/// docs/reliability-tests.md #16: under umask 000 the log's directories are still 0700
/// and its files 0600 (checked on a log a child process writes, since the
/// umask is process-wide); and a log directory holding a symlink, a
/// subdirectory, a FIFO or a file with a name the log does not use is
/// refused, by writable and read-only opens alike.
@Suite("Permissions and odd files (reliability scenario #16)")
struct PermissionTests {
    @Test func umaskZeroStillGivesPrivateModes() throws {
        let directory = TemporaryDirectory("umask")
        let path = directory.child("deeper/still/log")
        let child = try ChildProcess(["umask", "--dir", path])
        let lines = child.drain()
        #expect(child.exitCode == 0 && lines.contains("U"), "the umask child failed: \(lines)")
        #expect(Self.mode(path) == 0o700, "the log directory is \(String(Self.mode(path), radix: 8))")
        let names = FileBytes.names(in: path)
        #expect(names.contains { $0.hasSuffix(".idx") } && names.contains("LOCK"), "the child wrote \(names)")
        for name in names {
            #expect(Self.mode(path + "/" + name) == 0o600, "\(name) is \(String(Self.mode(path + "/" + name), radix: 8))")
        }
    }

    @Test(arguments: ["symlink", "segment-symlink", "directory", "fifo", "stray file", "lock symlink"])
    func oddEntriesAreRefused(_ kind: String) throws {
        let directory = TemporaryDirectory("odd")
        let path = directory.child()
        let log = try SpawnGate.open(path)
        try log.append((0..<3).map(DerivedRecord.append))
        try log.close()
        let outside = directory.child("outside.seg")
        FileManager.default.createFile(atPath: outside, contents: Data(FileBytes.read(path + "/" + FileBytes.names(in: path).first { $0.hasSuffix(".seg") }!)))
        switch kind {
        case "symlink": symlink(outside, path + "/notes")
        case "segment-symlink": symlink(outside, path + "/00000000000000000500.seg")
        case "directory": mkdir(path + "/00000000000000000600.seg", 0o700)
        case "fifo": mkfifo(path + "/00000000000000000700.idx", 0o600)
        case "stray file": FileManager.default.createFile(atPath: path + "/notes.txt", contents: Data([1]))
        default:
            unlink(path + "/LOCK")
            symlink(outside, path + "/LOCK")
        }
        #expect(throws: SegmentLogError.self, "a writable open accepted a log directory with a \(kind)") {
            let log = try SpawnGate.open(path)
            try log.close()
        }
        if kind != "lock symlink" {
            #expect(throws: SegmentLogError.self, "a read-only open accepted a log directory with a \(kind)") {
                let log = try SegmentLog.openReadOnly(directory: path)
                try log.close()
            }
        }
        #expect(FileBytes.read(outside).count > 0, "the file outside the log was changed")
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }
}
