import Foundation
import SegmentLog
import Testing

@Suite("verify and repair on damaged logs")
struct VerifyRepairTests {
    @Test func cleanFixtureVerifies() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let result = try signallog(["verify", log])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Result: clean"))
        let json = try #require(try signallog(["verify", log, "--json"]).json() as? [String: Any])
        #expect(json["status"] as? String == "clean")
        #expect(json["records"] as? Int == 190)
        #expect(json["batches"] as? Int == 40)
        #expect((json["problems"] as? [Any])?.isEmpty == true)
    }

    @Test func flippedBitIsCorruptionWithFileAndOffset() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("flipped-bit", into: temp)
        let result = try signallog(["verify", log, "--json"])
        #expect(result.status == 1, "\(result)")
        let json = try #require(try result.json() as? [String: Any])
        #expect(json["status"] as? String == "corrupt")
        let problems = try #require(json["problems"] as? [[String: Any]])
        let errors = problems.filter { $0["severity"] as? String == "error" }
        #expect(errors.count == 1)
        #expect(errors.first?["file"] as? String == "00000000000000000000.seg")
        #expect(errors.first?["offset"] as? Int == 40)
        #expect(errors.first?["code"] as? String == "damaged-range")
        #expect((errors.first?["message"] as? String)?.contains("checksum") == true)
        let text = try signallog(["verify", log])
        #expect(text.status == 1)
        #expect(text.stdout.contains("CORRUPT"))
    }

    @Test func tornTailAndDeletedIndexAreWarnings() throws {
        let temp = TemporaryDirectory()
        let torn = try copyFixture("torn-tail", into: temp)
        let tornResult = try signallog(["verify", torn, "--json"])
        #expect(tornResult.status == 0, "\(tornResult)")
        let tornProblems = try #require((try tornResult.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(tornProblems.map { $0["code"] as? String } == ["torn-tail"])
        #expect(tornProblems.first?["file"] as? String == "00000000000000000156.seg")
        #expect(try signallog(["verify", torn, "--strict"]).status == 1)

        let deleted = try copyFixture("deleted-index", into: temp)
        let deletedResult = try signallog(["verify", deleted, "--json"])
        #expect(deletedResult.status == 0)
        let deletedProblems = try #require((try deletedResult.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(deletedProblems.map { $0["code"] as? String } == ["index-missing"])
    }

    @Test func indexThatContradictsItsSegmentIsCaught() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        // Swap in another segment's index under this segment's name (valid checksum, wrong content).
        let index = log + "/00000000000000000028.idx"
        try FileManager.default.removeItem(atPath: index)
        try FileManager.default.copyItem(atPath: log + "/00000000000000000073.idx", toPath: index)
        let result = try signallog(["verify", log, "--json"])
        #expect(result.status == 1, "\(result)")
        let problems = try #require((try result.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["code"] as? String == "index-mismatch" && $0["file"] as? String == "00000000000000000028.idx" })
        // A bit flipped inside an index breaks its checksum.
        var bytes = fileBytes(log + "/00000000000000000111.idx")
        bytes[150] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: log + "/00000000000000000111.idx"))
        let again = try #require((try signallog(["verify", log, "--json"]).json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(again.contains { $0["code"] as? String == "index-unreadable" && $0["file"] as? String == "00000000000000000111.idx" })
    }

    @Test func liveWriterTailIsNotAnAlarm() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        let writer = try makeStorageLog(path, count: 200, batch: 20)
        defer { try? writer.close() }
        // The writer holds the lock; half a batch sits at the end of its active segment, as mid-write.
        let segment = path + "/" + fileNames(path).filter { $0.hasSuffix(".seg") }.last!
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data([0x53, 0x4C, 0x47, 0x42] + [UInt8](repeating: 7, count: 30)))
        try handle.close()
        let result = try signallog(["verify", path, "--json", "--strict"])
        #expect(result.status == 0, "\(result)")
        let json = try #require(try result.json() as? [String: Any])
        #expect(json["writer_pid"] as? Int == Int(getpid()))
        let problems = try #require(json["problems"] as? [[String: Any]])
        #expect(problems.map { $0["severity"] as? String } == ["note"])
        #expect(problems.first?["code"] as? String == "live-tail")
        // Readers see only complete batches meanwhile.
        #expect(try signallog(["cat", path]).lines.count == 200)
    }

    @Test func zeroedBatchBeforeLaterOnesIsACrashTailAsTheEngineSaysAndAFlipIsDamage() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        try makeStorageLog(path, count: 100, batch: 10).close()
        // The damage models a crash, which leaves no clean-close index of the active segment.
        try FileManager.default.removeItem(atPath: path + "/00000000000000000000.idx")
        let segment = path + "/00000000000000000000.seg"
        let original = fileBytes(segment)
        // Find the fifth batch: batches follow the 40-byte header back to back.
        var offset = 40
        for _ in 0..<4 { offset += 48 + Int(UInt32(original[offset + 8]) | UInt32(original[offset + 9]) << 8 | UInt32(original[offset + 10]) << 16 | UInt32(original[offset + 11]) << 24) }
        var zeroed = original
        for i in offset..<offset + 8 { zeroed[i] = 0 }
        try Data(zeroed).write(to: URL(fileURLWithPath: segment))
        let engine = try SegmentLog.openReadOnly(directory: path)
        #expect(engine.recoveryReport.truncatedTail?.offset == Int64(offset))
        #expect(engine.recoveryReport.damage.isEmpty)
        try engine.close()
        let verify = try signallog(["verify", path, "--json"])
        #expect(verify.status == 0, "\(verify)")
        let problems = try #require((try verify.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(problems.map { $0["code"] as? String } == ["torn-tail"])
        #expect(problems.first?["offset"] as? Int == offset)

        // One flipped bit in the same batch is damage (followed by good batches), as the engine says too.
        var flipped = original
        flipped[offset + 60] ^= 0x04
        try Data(flipped).write(to: URL(fileURLWithPath: segment))
        let damaged = try SegmentLog.openReadOnly(directory: path)
        #expect(damaged.recoveryReport.damage.first?.offset == Int64(offset))
        try damaged.close()
        let again = try signallog(["verify", path, "--json"])
        #expect(again.status == 1, "\(again)")
        let errors = try #require((try again.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(errors.map { $0["code"] as? String } == ["damaged-range"])
        #expect(errors.first?["offset"] as? Int == offset)
    }

    @Test func repairTornTailKeepsTheBytesAndVerifiesClean() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("torn-tail", into: temp)
        let tailBytes = fileBytes(log + "/00000000000000000156.seg").suffix(from: 1782)
        let before = snapshot(log)
        let dryRun = try signallog(["repair", log, "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun)")
        #expect(dryRun.stdout.contains("cut the torn tail (267 bytes at offset 1782"))
        #expect(snapshot(log) == before, "--dry-run changes nothing")
        let unconfirmed = try signallog(["repair", log])
        #expect(unconfirmed.status == 2)
        expectOneLineError(unconfirmed, containing: "pass --yes")
        #expect(snapshot(log) == before, "no confirmation, no change")

        let result = try signallog(["repair", log, "--yes"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("repaired"))
        #expect(fileBytes(log + "/00000000000000000156.seg.1782.corrupt") == Array(tailBytes))
        #expect(try signallog(["verify", log, "--strict"]).status == 0)
        let records = try signallog(["cat", log, "-o", "ndjson"]).ndjson()
        #expect(records.map { $0["sequence"] as? Int } == Array(0..<186))
        // Running it again finds nothing to do.
        #expect(try signallog(["repair", log, "--yes"]).stdout.contains("Nothing to repair"))
    }

    @Test func repairFlippedBitSetsDamageAsideWithPlaceholders() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("flipped-bit", into: temp)
        let damaged = Array(fileBytes(log + "/00000000000000000000.seg")[40..<168])
        let result = try signallog(["repair", log, "--yes"])
        #expect(result.status == 0, "\(result)")
        #expect(fileBytes(log + "/00000000000000000000.seg.40.corrupt") == damaged, "the unreadable bytes are kept")
        #expect(fileNames(log).contains("00000000000000000000.idx.corrupt"), "the stale index is set aside, not deleted")
        #expect(fileNames(log).contains("00000000000000000000.idx"), "and rebuilt")
        let verify = try signallog(["verify", log, "--json", "--strict"])
        #expect(verify.status == 0, "\(verify)")
        let records = try signallog(["cat", log, "-o", "ndjson"]).ndjson()
        #expect(records.count == 190, "sequence numbers stay gap-free")
        #expect(records.first?["kind"] as? String == "lost")
        #expect((records.first?["lost"] as? [String: Any])?["corrupt_file"] as? String == "00000000000000000000.seg.40.corrupt")
        #expect(records.dropFirst().allSatisfy { $0["kind"] as? String != "lost" })
        // The log opens for writing again (the engine refused it before).
        let writer = try SegmentLog.open(directory: log)
        try writer.close()
    }

    @Test func repairRebuildsADeletedIndex() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("deleted-index", into: temp)
        let result = try signallog(["repair", log, "--yes"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("rebuilt 00000000000000000028.idx"))
        #expect(fileNames(log).contains("00000000000000000028.idx"))
        #expect(try signallog(["verify", log, "--strict"]).status == 0)
    }

    @Test func repairFillsAMissingSegmentWithPlaceholders() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        try FileManager.default.removeItem(atPath: log + "/00000000000000000073.seg")
        try FileManager.default.removeItem(atPath: log + "/00000000000000000073.idx")
        let verify = try signallog(["verify", log, "--json"])
        #expect(verify.status == 1)
        #expect(((try verify.json() as? [String: Any])?["problems"] as? [[String: Any]])?.contains { $0["code"] as? String == "sequence-gap" } == true)
        let result = try signallog(["repair", log, "--yes"])
        #expect(result.status == 0, "\(result)")
        let records = try signallog(["cat", log, "-o", "ndjson"]).ndjson()
        #expect(records.count == 190)
        #expect(records.filter { $0["kind"] as? String == "lost" }.map { $0["sequence"] as? Int } == Array(73..<111))
        #expect(try signallog(["verify", log, "--strict"]).status == 0)
    }

    @Test func repairRefusesBesideAWriter() throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        let writer = try makeStorageLog(path, count: 10)
        defer { try? writer.close() }
        let result = try signallog(["repair", path, "--yes"])
        #expect(result.status == 2)
        expectOneLineError(result, containing: "locked by a running writer")
        let vacuum = try signallog(["vacuum", path, "--max-size", "1"])
        #expect(vacuum.status == 2)
        expectOneLineError(vacuum, containing: "locked by a running writer")
    }

    @Test func verifyOfUnusableInputIsStatusTwo() throws {
        let temp = TemporaryDirectory()
        let result = try signallog(["verify", temp.child("missing")])
        #expect(result.status == 2)
        expectOneLineError(result, containing: "no such directory")
    }
}
