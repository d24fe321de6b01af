import Foundation
import SegmentLog
import SignalLog
import Testing

/// Large input that is valid is stored in batches the log takes; a line
/// over a size limit is a problem of that line alone.
@Suite("ingest size limits")
struct IngestSizeLimitTests {
    /// One signal line with `content` of `padding` bytes.
    static func line(_ id: String, padding: Int = 0, extra: String = "") -> String {
        #"{"content":"\#(id)\#(String(repeating: "x", count: padding))","signal_type":"t","urgency":0.5,"source_id":"s","id":"\#(id)"\#(extra)}"#
    }

    /// The signal ids stored in a log, in order.
    static func storedIDs(_ log: String) throws -> [String] {
        try signallog(["cat", log, "--kind", "signal", "-o", "ndjson"]).ndjson().compactMap { ($0["signal"] as? [String: Any])?["id"] as? String }
    }

    /// Writes `parts` to a file one after another (each part written and dropped: no giant string).
    static func write(_ path: String, _ parts: [() -> [UInt8]]) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for part in parts { try handle.write(contentsOf: part()) }
    }

    @Test func batchesAreCutByBytesAtTheLogsLimit() throws {
        // 2,000 signals (the default --batch-size) of ~33.6 KB are more than
        // the log's 64 MiB batch limit together.
        let temp = TemporaryDirectory()
        let file = temp.child("big.ndjson")
        let count = 2000
        try Self.write(file, [{
            var out: [UInt8] = []
            out.reserveCapacity(count * 33_700)
            for i in 0..<count { out += Array((Self.line("big-\(i)", padding: 33_600) + "\n").utf8) }
            return out
        }])
        let log = temp.child()
        let result = try signallog(["ingest", log, file, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["accepted"] as? Int == count)
        #expect(summary["malformed"] as? Int == 0)
        let info = try #require(try signallog(["info", log, "--json"]).json() as? [String: Any])
        #expect((info["kinds"] as? [String: Int])?["signal"] == count, "the summary says what the log holds")
        let batches = ((info["segments"] as? [[String: Any]]) ?? []).compactMap { $0["batches"] as? Int }.reduce(0, +)
        #expect(batches >= 3, "two signal batches at least, and the closing marker")
        #expect(try signallog(["verify", log]).status == 0)
    }

    @Test func batchesAreCutByBytesUnderALowerLimit() throws {
        let temp = TemporaryDirectory()
        let lines = (0..<60).map { Self.line("s-\($0)", padding: 20_000) }
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--json", "--max-batch-bytes", "128KiB"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result)")
        #expect((try result.json() as? [String: Any])?["accepted"] as? Int == 60)
        #expect(try Self.storedIDs(log) == (0..<60).map { "s-\($0)" }, "in input order")
        let info = try #require(try signallog(["info", log, "--json"]).json() as? [String: Any])
        let segment = try #require((info["segments"] as? [[String: Any]])?.first)
        // Six ~20 KB signals fit in 128 KiB: ten signal batches and the marker.
        #expect(segment["batches"] as? Int == 11, "\(segment)")
    }

    /// Good lines around a record over the record limit, a partition key over
    /// 65,535 bytes and a line over the line limit (twice the record limit).
    static func mixedInput() -> (text: String, good: [String]) {
        var lines: [String] = []
        var good: [String] = []
        for i in 0..<3 { lines.append(line("before-\(i)")); good.append("before-\(i)") }
        lines.append(line("record-too-large", padding: 100_000))                                          // line 4
        lines.append(line("key-too-long", extra: #","partition_key":"\#(String(repeating: "k", count: 70_000))""#)) // line 5
        lines.append(line("line-too-long", padding: 300_000))                                              // line 6
        for i in 0..<2 { lines.append(line("after-\(i)")); good.append("after-\(i)") }
        return (lines.joined(separator: "\n") + "\n", good)
    }

    @Test func overLimitLinesAreLineNumberedProblems() throws {
        let temp = TemporaryDirectory()
        let (input, good) = Self.mixedInput()
        let log = temp.child()
        // Record limit 64 KiB: the line limit is 128 KiB.
        let result = try signallog(["ingest", log, "-", "--json", "--max-record-bytes", "64KiB"], stdin: input)
        #expect(result.status == 0, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["lines"] as? Int == 8)
        #expect(summary["accepted"] as? Int == good.count)
        #expect(summary["malformed"] as? Int == 3)
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int } == [4, 5, 6])
        #expect(problems.allSatisfy { $0["kind"] as? String == "malformed" })
        let messages = problems.compactMap { $0["message"] as? String }
        #expect(messages.count == 3)
        #expect(messages.first?.contains("over the log's 65536-byte record limit") == true, "\(messages)")
        #expect(messages.dropFirst().first?.contains("partition_key is 70000 bytes") == true, "\(messages)")
        #expect(messages.last?.contains("line is 300") == true && messages.last?.contains("131072-byte line limit") == true, "\(messages)")
        #expect(try Self.storedIDs(log) == good, "the good lines around them are stored")

        // Text mode names the file and line.
        let text = try signallog(["ingest", temp.child("again"), "-", "--max-record-bytes", "64KiB"], stdin: input)
        #expect(text.stderr.contains("standard input:5: malformed: partition_key is 70000 bytes"), "\(text)")
    }

    @Test func strictStopsAtTheFirstOverLimitLine() throws {
        let temp = TemporaryDirectory()
        let (input, good) = Self.mixedInput()
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--json", "--strict", "--max-record-bytes", "64KiB"], stdin: input)
        #expect(result.status == 1, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["accepted"] as? Int == 3)
        #expect((summary["stopped"] as? String)?.hasPrefix("line 4: the signal's record would be") == true, "\(summary)")
        #expect(try Self.storedIDs(log) == Array(good.prefix(3)), "what came before the stop is kept")
    }

    @Test func aPartitionKeyOverTheFormatsLimitAtDefaultLimits() throws {
        let temp = TemporaryDirectory()
        let lines = [Self.line("a"), Self.line("b", extra: #","partition_key":"\#(String(repeating: "é", count: 35_000))""#), Self.line("c")]
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--json"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["accepted"] as? Int == 2)
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int } == [2])
        #expect((problems.first?["message"] as? String)?.contains("partition_key is 70000 bytes of UTF-8") == true, "\(problems)")
        #expect(try Self.storedIDs(log) == ["a", "c"])
    }

    @Test func aLineOverTheDefaultLineLimitIsSkippedAndCounted() throws {
        // 5,000 good lines, a 65 MiB line (over the default 64 MiB line
        // limit, read past without being held), then more good lines.
        let temp = TemporaryDirectory()
        let file = temp.child("long.ndjson")
        let giant = 65 << 20
        try Self.write(file, [
            { Array((0..<5000).map { Self.line("g-\($0)") + "\n" }.joined().utf8) },
            { Array(#"{"content":""#.utf8) },
        ] + Array(repeating: { [UInt8](repeating: UInt8(ascii: "y"), count: 1 << 20) }, count: giant >> 20) + [
            { Array("\"}\n".utf8) },
            { Array((0..<10).map { Self.line("h-\($0)") + "\n" }.joined().utf8) },
        ])
        let log = temp.child()
        let result = try signallog(["ingest", log, file, "--json"])
        #expect(result.status == 0, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["lines"] as? Int == 5011)
        #expect(summary["accepted"] as? Int == 5010)
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int } == [5001])
        #expect(problems.first?["message"] as? String == "line is \(giant + 14) bytes, over the 67108864-byte line limit (twice the record limit); skipped unread")
        let info = try #require(try signallog(["info", log, "--json"]).json() as? [String: Any])
        #expect((info["kinds"] as? [String: Int])?["signal"] == 5010)
    }

    @Test func refusalsThatOutgrowTheirBatchAreWrittenInHalves() throws {
        // A conflict's attempt record names the original signal's id: 70
        // conflicts with a signal whose id is 1 MiB are 70 MiB of attempt
        // records, over the log's 64 MiB batch limit, though the 71 lines
        // are about 1 MiB together.
        let temp = TemporaryDirectory()
        let longID = String(repeating: "i", count: 1 << 20)
        var lines = [#"{"content":"original","signal_type":"t","urgency":0.5,"source_id":"s","id":"\#(longID)","idempotency_key":"K"}"#]
        for i in 0..<70 { lines.append(#"{"content":"other \#(i)","signal_type":"t","urgency":0.5,"source_id":"s","idempotency_key":"K"}"#) }
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--json", "--show-problems", "0"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["accepted"] as? Int == 1)
        #expect(summary["conflicts"] as? Int == 70)
        let info = try #require(try signallog(["info", log, "--json"]).json() as? [String: Any])
        #expect((info["kinds"] as? [String: Int])?["signal"] == 1)
        #expect((info["kinds"] as? [String: Int])?["attempt"] == 70)
    }
}
