import Testing
import SegmentLog

/// The storage example of README.md, kept compiling and working.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleRuns() throws {
        let directory = TemporaryDirectory()
        var options = LogOptions()
        options.durability = .always
        let log = try SegmentLog.open(directory: directory.child(), options: options)

        let appended = try log.append([
            AppendRecord(kind: 1, partition: "user_123_actions", payload: Array("clicked".utf8)),
            AppendRecord(kind: 1, partition: "user_456_actions", payload: Array("scrolled".utf8)),
        ])
        #expect(appended.firstSequence == 0 && appended.lastSequence == 1)

        let now = SystemClock().nowMicroseconds()
        let reader = log.read(LogQuery(since: now - 3_600_000_000, partitions: ["user_123_actions"]))
        var seen: [String] = []
        while let record = try reader.next() {
            seen.append(String(decoding: record.payload, as: UTF8.self))
        }
        #expect(seen == ["clicked"])
        try log.close()
    }
}

/// The examples of the DocC article "Getting started with SegmentLog"
/// (Sources/SegmentLog/SegmentLog.docc/GettingStarted.md), kept working.
@Suite struct GettingStartedArticleTests {
    @Test func openAppendReadVerifyAndRepairAsTheArticleShows() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        var options = LogOptions()
        options.durability = .always
        let log = try SegmentLog.open(directory: path, options: options)
        let appended = try log.append([
            AppendRecord(kind: 1, partition: "orders", payload: Array("created 17".utf8)),
            AppendRecord(kind: 1, partition: "invoices", payload: Array("sent 9".utf8)),
        ])
        #expect(appended.firstSequence == 0 && appended.lastSequence == 1)

        let now = SystemClock().nowMicroseconds()
        let reader = log.read(LogQuery(since: now - 3_600_000_000, partitions: ["orders"]))
        var read: [String] = []
        while let record = try reader.next() { read.append(String(decoding: record.payload, as: UTF8.self)) }
        #expect(read == ["created 17"])
        try log.close()

        let report = try SegmentLog.verify(directory: path)
        #expect(report.status == .clean && report.records == 2 && report.problems.isEmpty)

        let lock = try WriterLock.acquire(directory: path)
        defer { lock.release() }
        let plan = try SegmentLog.planRepair(directory: path, lock: lock)
        #expect(plan.steps.isEmpty)
        let outcome = try SegmentLog.applyRepair(plan, lock: lock)
        #expect(outcome.isRepaired)
    }
}
