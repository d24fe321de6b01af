import Foundation
@testable import SegmentLog
import Testing

/// Derived files (`NAME.snapshot`) beside a log: data the layer above can
/// rebuild from the records (docs/format.md, "Directory").
@Suite("Derived files in a log directory")
struct DerivedFileTests {
    @Test func theEngineAndVerifyAcceptThemAndARepairThatChangesASegmentDeletesThem() throws {
        let temp = TemporaryDirectory()
        let path = temp.path + "/log"
        let log = try SegmentLog.open(directory: path)
        for i in 0..<30 { _ = try log.append(kind: 2, partition: "p", payload: Array("record \(i)".utf8)) }
        try log.writeDerivedFile("dedupe.snapshot") { file in
            try [UInt8](repeating: 7, count: 64).withUnsafeBytes { try file.write($0, at: 0) }
        }
        try log.close()
        #expect(FileManager.default.fileExists(atPath: path + "/dedupe.snapshot"))
        // An interrupted write's leftover is removed by the next writer.
        FileManager.default.createFile(atPath: path + "/dedupe.snapshot.tmp", contents: Data([1, 2, 3]))

        let clean = try SegmentLog.verify(directory: path)
        #expect(!clean.problems.contains { $0.code == .foreignFile }, "\(clean.problems)")
        #expect(clean.listing.derivedFiles == ["dedupe.snapshot"])
        let reopened = try SegmentLog.open(directory: path)
        #expect(!FileManager.default.fileExists(atPath: path + "/dedupe.snapshot.tmp"))
        #expect(try reopened.openDerivedFile("dedupe.snapshot") != nil)
        try reopened.close()
        let afterOpen = try SegmentLog.verify(directory: path)
        #expect(afterOpen.status == .clean, "\(afterOpen.problems)")

        // Any other name is still foreign.
        FileManager.default.createFile(atPath: path + "/Other.snapshot", contents: Data())
        #expect(try SegmentLog.verify(directory: path).problems.contains { $0.code == .foreignFile && $0.file == "Other.snapshot" })
        try FileManager.default.removeItem(atPath: path + "/Other.snapshot")

        // A torn tail to cut: the repair changes the segment and removes the snapshot.
        let handle = try #require(FileHandle(forWritingAtPath: path + "/00000000000000000000.seg"))
        handle.seekToEndOfFile()
        handle.write(Data([0x53, 0x4C, 0x47, 0x42, 1, 2, 3]))
        try handle.close()
        let lock = try WriterLock.acquire(directory: path)
        defer { lock.release() }
        let plan = try SegmentLog.planRepair(directory: path, lock: lock)
        #expect(plan.engineNotes.contains { $0.contains("dedupe.snapshot") })
        let outcome = try SegmentLog.applyRepair(plan, lock: lock)
        #expect(outcome.isRepaired)
        #expect(!FileManager.default.fileExists(atPath: path + "/dedupe.snapshot"))
    }
}
