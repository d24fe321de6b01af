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
