import Foundation
import SegmentLog
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Commands that read a log and then change it hold the writer lock from
/// their first read to their last change; nothing acknowledged meanwhile can
/// be lost, because nothing can be acknowledged meanwhile.
@Suite("repair and vacuum under the writer lock")
struct WriterLockCLITests {
    static func signals(_ count: Int, prefix: String) -> String {
        (0..<count).map { i in
            #"{"content":"\#(prefix) \#(i)","signal_type":"alert","urgency":0.5,"source_id":"host-\#(i % 3)","idempotency_key":"\#(prefix)-\#(i)"}"#
        }.joined(separator: "\n") + "\n"
    }

    /// A log of `count` signals whose active segment ends in 1,000 seeded random bytes.
    static func logWithGarbageTail(_ temp: TemporaryDirectory, count: Int = 20) throws -> String {
        let log = temp.child()
        let first = temp.child("first.ndjson")
        try signals(count, prefix: "before").write(toFile: first, atomically: true, encoding: .utf8)
        let ingest = try signallog(["ingest", log, first])
        #expect(ingest.status == 0, "\(ingest)")
        var generator = SystemRandomNumberGenerator()
        var seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        print("garbage tail seed \(seed)")
        var garbage = [UInt8](repeating: 0, count: 1000)
        for i in garbage.indices {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            garbage[i] = UInt8(truncatingIfNeeded: seed >> 33)
        }
        let segment = log + "/00000000000000000000.seg"
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data(garbage))
        try handle.close()
        return log
    }

    private func expectWriterRefused(_ log: String, input: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        // In this process, through the engine…
        #expect(throws: SegmentLogError.locked(path: log + "/LOCK"), sourceLocation: sourceLocation) { try SegmentLog.open(directory: log) }
        // …and as another process, as a user would.
        let refused = try signallog(["ingest", log, input])
        #expect(refused.status == 2, "\(refused)", sourceLocation: sourceLocation)
        #expect(refused.stderr.contains("locked by a running writer"), "\(refused)", sourceLocation: sourceLocation)
    }

    @Test func repairWaitingAtItsPromptKeepsWritersOut() throws {
        let temp = TemporaryDirectory()
        let log = try Self.logWithGarbageTail(temp)
        let second = temp.child("second.ndjson")
        try Self.signals(30, prefix: "during").write(toFile: second, atomically: true, encoding: .utf8)

        let repair = try ToolProcess(["repair", log, "--no-color"], terminal: true)
        #expect(repair.waitForStderr(containing: "[y/N]"), "repair never asked: \(repair.stderrText)")
        try expectWriterRefused(log, input: second)
        repair.type("y\n")
        let result = repair.finish()
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("repaired"), "\(result)")

        // Nothing was acknowledged while the repair waited; afterwards writers come back.
        let after = try signallog(["ingest", log, second, "--json"])
        #expect(after.status == 0, "\(after)")
        #expect((try after.json() as? [String: Any])?["accepted"] as? Int == 30)
        let stored = try signallog(["cat", log, "--kind", "signal", "-o", "ndjson"]).ndjson()
        #expect(stored.count == 50)
        #expect(try signallog(["verify", log]).status == 0)
    }

    @Test func repairDeclinedAtItsPromptReleasesTheLockAndChangesNothing() throws {
        let temp = TemporaryDirectory()
        let log = try Self.logWithGarbageTail(temp)
        let before = snapshot(log)
        let repair = try ToolProcess(["repair", log, "--no-color"], terminal: true)
        #expect(repair.waitForStderr(containing: "[y/N]"), "repair never asked: \(repair.stderrText)")
        repair.type("n\n")
        let result = repair.finish()
        #expect(result.status == 1, "\(result)")
        #expect(snapshot(log) == before)
        let writer = try SegmentLog.open(directory: log, options: {
            var options = LogOptions()
            options.corruptionPolicy = .report
            return options
        }())
        try writer.close()
    }

    @Test func repairWithYesHoldsTheLockBetweenPlanAndChange() throws {
        let temp = TemporaryDirectory()
        let log = try Self.logWithGarbageTail(temp)
        let second = temp.child("second.ndjson")
        try Self.signals(5, prefix: "during").write(toFile: second, atomically: true, encoding: .utf8)
        let repair = try ToolProcess(["repair", log, "--yes"], environment: ["SIGNALLOG_STOP_AT": "repair.planned"])
        #expect(repair.waitForStop(), "repair ended before its plan was made: \(repair.finish())")
        try expectWriterRefused(log, input: second)
        repair.resume()
        let result = repair.finish()
        #expect(result.status == 0, "\(result)")
        #expect(try signallog(["cat", log, "--kind", "signal", "-o", "ndjson"]).ndjson().count == 20)
    }

    @Test func vacuumHoldsTheLockBetweenPlanAndRemoval() throws {
        let temp = TemporaryDirectory()
        let log = temp.child()
        // Old records in several small segments: every sealed one is past a one-day age.
        try makeStorageLog(log, count: 200, batch: 10, segmentMaxBytes: 1024, start: 1_600_000_000_000_000).close()
        let segmentsBefore = fileNames(log).filter { $0.hasSuffix(".seg") }.count
        #expect(segmentsBefore > 3)
        let input = temp.child("input.ndjson")
        try Self.signals(3, prefix: "during").write(toFile: input, atomically: true, encoding: .utf8)

        let vacuum = try ToolProcess(["vacuum", log, "--older-than", "1d"], environment: ["SIGNALLOG_STOP_AT": "vacuum.planned"])
        #expect(vacuum.waitForStop(), "vacuum ended before its plan was made: \(vacuum.finish())")
        #expect(throws: SegmentLogError.locked(path: log + "/LOCK")) { try SegmentLog.open(directory: log) }
        vacuum.resume()
        let result = vacuum.finish()
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Removed"), "\(result)")
        #expect(fileNames(log).filter { $0.hasSuffix(".seg") }.count == 1)
        // The lock is free again.
        try SegmentLog.open(directory: log).close()
    }

    @Test func repairAndVacuumRefuseWhileAWriterHoldsTheLog() throws {
        let temp = TemporaryDirectory()
        let log = try Self.logWithGarbageTail(temp)
        let writer = try WriterLock.acquire(directory: log)
        defer { writer.release() }
        let before = snapshot(log)
        for arguments in [["repair", log, "--yes"], ["vacuum", log, "--older-than", "1d"]] {
            let result = try signallog(arguments)
            #expect(result.status == 2, "\(arguments): \(result)")
            expectOneLineError(result, containing: "locked by a running writer")
        }
        #expect(snapshot(log) == before)
        // A dry run reads without the lock and says what it would do.
        let dry = try signallog(["repair", log, "--dry-run"])
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("Dry run"))
    }
}

/// A FIFO, device or directory where a log file belongs is refused at once by
/// every command: nothing opens it, so nothing hangs.
@Suite("files that are not regular files")
struct NotARegularFileTests {
    /// Runs the tool under a short deadline: a hang fails the test at once.
    private func bounded(_ arguments: [String]) throws -> RunResult {
        try signallog(arguments, deadline: 60)
    }

    static let commands: [[String]] = [
        ["info"], ["cat"], ["trace", "corr-1"], ["dlq", "list"], ["verify"],
        ["repair", "--dry-run"], ["repair", "--yes"], ["vacuum", "--older-than", "1d"],
    ]

    @Test(arguments: ["00000000000000000028.seg", "00000000000000000028.idx", "LOCK", "00000000000000000200.seg"])
    func fifoIsRefusedByEveryCommand(name: String) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let path = log + "/" + name
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        #expect(mkfifo(path, 0o600) == 0)
        for command in Self.commands {
            var arguments = [command[0], log]
            arguments += command.dropFirst()
            let result = try bounded(arguments)
            #expect(result.status == 2, "\(arguments): \(result)")
            expectOneLineError(result, containing: "FIFO")
        }
        let input = temp.child("in.ndjson")
        try WriterLockCLITests.signals(2, prefix: "x").write(toFile: input, atomically: true, encoding: .utf8)
        let ingest = try bounded(["ingest", log, input])
        #expect(ingest.status == 2, "\(ingest)")
        expectOneLineError(ingest, containing: "FIFO")
    }

    @Test func directoryInPlaceOfAnIndexIsRefused() throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        let index = log + "/00000000000000000028.idx"
        try FileManager.default.removeItem(atPath: index)
        try FileManager.default.createDirectory(atPath: index, withIntermediateDirectories: false)
        for command in [["verify"], ["info"], ["cat"]] {
            let result = try bounded([command[0], log])
            #expect(result.status == 2, "\(command): \(result)")
            expectOneLineError(result, containing: "directory")
        }
    }
}
