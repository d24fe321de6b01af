import Foundation
import Testing
@testable import SegmentLog

/// Locking (#14), permissions (#16) and what may live in a log directory.
@Suite(.serialized) struct AccessTests {
    @Test func secondWriterInTheSameProcessIsRefusedAndAdmittedAfterClose() throws {
        let directory = TemporaryDirectory()
        let first = try SegmentLog.open(directory: directory.child())
        #expect(throws: SegmentLogError.locked(path: directory.child() + "/LOCK")) {
            try SegmentLog.open(directory: directory.child())
        }
        // Readers need no lock.
        let reader = try SegmentLog.openReadOnly(directory: directory.child())
        try reader.close()
        try first.close()
        let second = try SegmentLog.open(directory: directory.child())
        try second.close()
        // The lock file stays: deleting it could let two writers in.
        #expect(FileManager.default.fileExists(atPath: directory.child() + "/LOCK"))
    }

    @Test func filesAre0600AndDirectories0700EvenWithUmask000() throws {
        let directory = TemporaryDirectory()
        let previous = umask(0)
        defer { umask(previous) }
        let path = directory.child("nested/log")
        let log = try SegmentLog.open(directory: path, options: options(segmentMaxBytes: 1024))
        for i in 0..<40 { try log.append(kind: 1, partition: "p", payload: payload(i, size: 100)) }
        try log.close()
        func mode(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(mode(path) == 0o700)
        #expect(mode(directory.child("nested")) == 0o700)
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
        #expect(names.contains { $0.hasSuffix(".idx") })
        for name in names { #expect(mode(path + "/" + name) == 0o600, "\(name)") }
    }

    @Test func foreignAndSymlinkedFilesAreRefused() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        try SegmentLog.open(directory: path).close()
        try Data("notes".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        #expect(throws: SegmentLogError.self) { try SegmentLog.openReadOnly(directory: path) }
        try FileManager.default.removeItem(atPath: path + "/notes.txt")

        let outside = directory.child("elsewhere.seg")
        try Data().write(to: URL(fileURLWithPath: outside))
        try FileManager.default.createSymbolicLink(atPath: path + "/00000000000000000099.seg", withDestinationPath: outside)
        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            guard case let SegmentLogError.unexpectedFile(file, reason) = error else { return false }
            return file.hasSuffix("00000000000000000099.seg") && reason.contains("symbolic link")
        }
    }

    @Test func leftoversOfAnInterruptedWriteAreRemoved() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        try SegmentLog.open(directory: path).close()
        let temporary = path + "/00000000000000000007.seg.tmp"
        let orphan = path + "/00000000000000000042.idx"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: temporary))
        try Data([4, 5, 6]).write(to: URL(fileURLWithPath: orphan))
        let log = try SegmentLog.open(directory: path)
        #expect(Set(log.recoveryReport.removedFiles) == [temporary, orphan])
        #expect(!FileManager.default.fileExists(atPath: temporary))
        try log.close()
    }

    @Test func missingSegmentInTheMiddleIsAGap() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        _ = try RecoveryTests.sealedLog(path)
        let segments = segmentFiles(path)
        try FileManager.default.removeItem(atPath: segments[1])
        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            if case SegmentLogError.sequenceGap = error { return true }
            return false
        }
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.contains { !$0.missingSequences.isEmpty })
    }
}
