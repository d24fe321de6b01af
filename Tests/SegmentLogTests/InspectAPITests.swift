import Foundation
import SegmentLog
import Testing

/// The inspection API a Swift program uses to verify and repair a log.
@Suite("verify and repair from code")
struct InspectAPITests {
    private func damagedLog() throws -> (TemporaryDirectory, String) {
        let temp = TemporaryDirectory()
        let path = temp.path + "/log"
        let log = try SegmentLog.open(directory: path)
        for i in 0..<30 { _ = try log.append(kind: 2, partition: "p", payload: Array("record \(i)".utf8)) }
        try log.close()
        // A torn write after the clean close's durable point.
        let segment = path + "/00000000000000000000.seg"
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data([0x53, 0x4C, 0x47, 0x42, 1, 2, 3]))
        try handle.close()
        return (temp, path)
    }

    @Test func verifyReportsTypedProblemsAndRepairNeedsThePlansLock() throws {
        let (temp, path) = try damagedLog()
        _ = temp
        let report = try SegmentLog.verify(directory: path)
        #expect(report.status == .warnings)
        #expect(report.records == 30)
        let tail = try #require(report.problems.first)
        #expect(tail.code == .tornTail && tail.severity == .warning && tail.file == "00000000000000000000.seg")
        #expect(report.segments.map(\.index) == [.matches])

        // A dry run's plan (no lock) cannot be applied, nor a plan under another lock.
        let dryRun = try SegmentLog.planRepair(directory: path)
        #expect(dryRun.steps.map(\.action) == [.cutTornTail(segment: "00000000000000000000.seg", offset: tail.offset!, bytes: 7, keptIn: "00000000000000000000.seg.\(tail.offset!).corrupt")])
        let lock = try WriterLock.acquire(directory: path)
        #expect(throws: RepairError.self) { try SegmentLog.applyRepair(dryRun, lock: lock) }
        let plan = try SegmentLog.planRepair(directory: path, lock: lock)
        lock.release()
        let other = try WriterLock.acquire(directory: path)
        defer { other.release() }
        #expect(throws: RepairError.self) { try SegmentLog.applyRepair(plan, lock: other) }
        let planned = try SegmentLog.planRepair(directory: path, lock: other)
        let outcome = try SegmentLog.applyRepair(planned, lock: other)
        #expect(outcome.isRepaired && outcome.after.status == .clean, "\(outcome.after.problems)")
        #expect(outcome.applied.count == 1)
    }

    @Test func anInterruptedRepairsSetAsideCopyIsALeftoverNotAKeptFile() throws {
        let (temp, path) = try damagedLog()
        _ = temp
        // A repair killed between writing a copy of damaged bytes and
        // renaming it leaves `….corrupt.tmp`; a finished one, `….corrupt`.
        let leftover = "00000000000000000000.seg.4096.corrupt.tmp"
        let kept = "00000000000000000000.seg.64.corrupt"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path + "/" + leftover))
        try Data([4, 5, 6]).write(to: URL(fileURLWithPath: path + "/" + kept))

        let listing = try LogDirectoryListing.read(directory: path)
        #expect(listing.temporaries == [leftover])
        #expect(listing.corruptFiles == [kept])
        let report = try SegmentLog.verify(directory: path)
        #expect(report.problems.contains { $0.code == .temporaryFile && $0.file == leftover })
        #expect(!report.problems.contains { $0.file == kept })

        // A read-only open changes nothing; the next writer removes the
        // leftover and keeps the finished copy.
        try SegmentLog.openReadOnly(directory: path).close()
        #expect(FileManager.default.fileExists(atPath: path + "/" + leftover))
        try SegmentLog.open(directory: path).close()
        #expect(!FileManager.default.fileExists(atPath: path + "/" + leftover))
        #expect(FileManager.default.fileExists(atPath: path + "/" + kept))
    }

    @Test func placeholderPayloadIsDocumentedJSON() {
        let payload = LostRecord.payload(corruptFile: "00000000000000000000.seg.40.corrupt", reason: "batch \"checksum\"\n")
        #expect(String(decoding: payload, as: UTF8.self) == #"{"lost":true,"corrupt_file":"00000000000000000000.seg.40.corrupt","reason":"batch \"checksum\"\n"}"#)
        #expect(LostRecord.kind == 0)
    }
}
