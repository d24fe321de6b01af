import TestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SegmentLog

/// docs/reliability-tests.md #14: a second writer — from the same process or another —
/// is refused at once (the lock is taken without waiting) with an error that
/// says the log is locked; once the holder is SIGKILLed the log opens
/// normally with everything in it; and deleting the lock file must not let
/// a second writer in.
@Suite("Second writer (reliability scenario #14)")
struct SecondWriterTests {
    @Test func sameProcessIsRefusedThenAdmittedAfterClose() throws {
        let directory = TemporaryDirectory("writer-same")
        let path = directory.child()
        let first = try SpawnGate.open(path)
        try first.append([DerivedRecord.append(0)])
        #expect(Self.isLocked { try SpawnGate.open(path) }, "a second writer in the same process was not refused as locked")
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.nextSequence == 1, "a read-only open beside the writer sees \(inspector.nextSequence) records")
        try inspector.close()
        try first.close()
        let second = try SpawnGate.open(path)
        #expect(second.nextSequence == 1)
        try second.close()
    }

    @Test func otherProcessIsRefusedUntilKilled() throws {
        let directory = TemporaryDirectory("writer-other")
        let path = directory.child()
        let log = try SpawnGate.open(path)
        try log.append((0..<10).map(DerivedRecord.append))
        try log.close()
        let holder = try ChildProcess(["hold", "--dir", path])
        let held = holder.readLine() ?? ""
        try #require(held.hasPrefix("H "), "the holder did not take the lock: \(held)")
        var refusal: SegmentLogError? = nil
        do {
            let intruder = try SpawnGate.open(path)
            try intruder.close()
        } catch {
            refusal = error
        }
        #expect(refusal.map { "\($0)".contains("locked") } == true, "a writer beside another process's writer got \(String(describing: refusal))")
        if case .locked = refusal {} else { Issue.record("expected .locked, got \(String(describing: refusal))") }
        holder.kill()
        #expect(holder.wasKilled)
        let after = try SpawnGate.open(path)
        #expect(after.nextSequence == 10)
        #expect(CrashCheck.recordProblem(after, from: 0, through: 10) == nil)
        try after.close()
    }

    @Test func theChildIsRefusedWhileThisProcessWrites() throws {
        let directory = TemporaryDirectory("writer-child")
        let path = directory.child()
        let log = try SpawnGate.open(path)
        defer { try? log.close() }
        let intruder = try ChildProcess(["hold", "--dir", path])
        let line = intruder.readLine() ?? ""
        #expect(line.hasPrefix("E ") && line.contains("locked"), "a second process was not refused: \(line)")
        #expect(intruder.exitCode == 1)
    }

    /// The lock file is the lock: if deleting it let a second writer in, two
    /// processes could append to the same segment.
    @Test func deletingTheLockFileDoesNotAdmitASecondWriter() throws {
        let directory = TemporaryDirectory("writer-unlink")
        let path = directory.child()
        let holder = try ChildProcess(["hold", "--dir", path])
        let held = holder.readLine() ?? ""
        try #require(held.hasPrefix("H "), "the holder did not take the lock: \(held)")
        unlink(path + "/LOCK")
        var admitted = false
        do {
            let intruder = try SpawnGate.open(path)
            admitted = true
            try intruder.close()
        } catch {}
        #expect(!admitted, "with LOCK deleted, a second writer opened the log while another process held it")
        holder.kill()
        holder.wait()
    }

    static func isLocked(_ open: () throws -> SegmentLog) -> Bool {
        do {
            let log = try open()
            try? log.close()
            return false
        } catch let error as SegmentLogError {
            if case .locked = error { return "\(error)".contains("locked") }
            return false
        } catch {
            return false
        }
    }
}
