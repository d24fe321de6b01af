import Foundation
import Testing
@testable import SegmentLog

/// A writer lock held apart from any open log: what repair and vacuum hold
/// from their first read to their last change.
@Suite("writer lock held on its own")
struct WriterLockTests {
    private func makeLog(_ path: String) throws {
        let log = try SegmentLog.open(directory: path)
        try log.append(kind: 1, partition: "p", payload: Array("first".utf8))
        try log.close()
    }

    @Test func heldLockRefusesEveryOtherWriter() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        try makeLog(path)
        let lock = try WriterLock.acquire(directory: path)
        #expect(lock.isHeld)
        #expect(throws: SegmentLogError.locked(path: path + "/LOCK")) { try SegmentLog.open(directory: path) }
        #expect(throws: SegmentLogError.locked(path: path + "/LOCK")) { try WriterLock.acquire(directory: path) }
        // Readers need no lock.
        let reader = try SegmentLog.openReadOnly(directory: path)
        #expect(try readAll(reader).count == 1)
        try reader.close()
        lock.release()
        #expect(!lock.isHeld)
        let log = try SegmentLog.open(directory: path)
        try log.close()
    }

    @Test func logOpenedUnderTheLockLeavesItHeldOnClose() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        try makeLog(path)
        let lock = try WriterLock.acquire(directory: path)
        var options = LogOptions()
        options.writerLock = lock
        // Opened, written and closed twice under the one lock.
        for round in 0..<2 {
            let log = try SegmentLog.open(directory: path, options: options)
            let at = try log.append(kind: 1, partition: "p", payload: Array("under the lock \(round)".utf8))
            #expect(at.firstSequence == UInt64(round + 1))
            try log.close()
            #expect(throws: SegmentLogError.locked(path: path + "/LOCK")) { try SegmentLog.open(directory: path) }
        }
        lock.release()
        let log = try SegmentLog.open(directory: path)
        #expect(log.nextSequence == 3)
        try log.close()
    }

    @Test func lockForAnotherDirectoryOrReleasedIsRefused() throws {
        let temp = TemporaryDirectory()
        let first = temp.child("a"), second = temp.child("b")
        try makeLog(first)
        try makeLog(second)
        let lock = try WriterLock.acquire(directory: first)
        var options = LogOptions()
        options.writerLock = lock
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: second, options: options) }
        lock.release()
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: first, options: options) }
        // A released lock is not an open door either way: a plain open takes the lock itself.
        let log = try SegmentLog.open(directory: first)
        try log.close()
    }

    @Test func releasingTwiceIsHarmlessAndDroppingReleases() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        try makeLog(path)
        do {
            let lock = try WriterLock.acquire(directory: path)
            lock.release()
            lock.release()
        }
        do {
            _ = try WriterLock.acquire(directory: path)
        }
        let log = try SegmentLog.open(directory: path)
        try log.close()
    }

    @Test func lockFileThatIsAFIFOIsRefusedWithoutWaiting() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        try makeLog(path)
        let lockPath = path + "/LOCK"
        try FileManager.default.removeItem(atPath: lockPath)
        #expect(mkfifo(lockPath, 0o600) == 0)
        let error = #expect(throws: SegmentLogError.self) { try WriterLock.acquire(directory: path) }
        #expect(error == .unexpectedFile(path: lockPath, reason: "is a FIFO, not a regular file; a log directory holds only its own regular files"))
    }

    @Test func segmentThatIsAFIFOIsNeverOpened() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        try makeLog(path)
        let fifo = path + "/00000000000000000001.seg"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Without O_NONBLOCK either open would wait forever for a writer of the FIFO.
        #expect(throws: SegmentLogError.self) { try SegmentLog.openReadOnly(directory: path) }
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        let file = try? PosixFileSystem().open(fifo, mode: .readOnly)
        #expect(file == nil)
    }
}
