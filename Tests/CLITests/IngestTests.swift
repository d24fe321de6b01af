import Foundation
import SegmentLog
import SignalLog
import Testing

@Suite("ingest")
struct IngestTests {
    static let input = """
        {"content":"disk full","signal_type":"alert","urgency":0.9,"source_id":"host-1","idempotency_key":"k1"}
        {"content":{"cpu":97},"signal_type":"metric","urgency":0.4,"source_id":"host-2","correlation_id":"corr-7","timestamp":1714557600000}
        this is not json
        {"content":"disk full","signal_type":"alert","urgency":0.9,"source_id":"host-1","idempotency_key":"k1"}
        {"content":"x","signal_type":"alert","urgency":3,"source_id":"host-1"}

        {"content":"future","signal_type":"alert","urgency":0.5,"source_id":"host-3","schema_version":"9.0"}
        {"specversion":"1.0","id":"ce-1","source":"billing","type":"invoice","time":"2024-05-01T10:00:00Z","subject":"acct-9","data":{"amount":12.5}}
        {"content":"other payload","signal_type":"alert","urgency":0.9,"source_id":"host-1","idempotency_key":"k1"}
        """

    @Test func summaryCountsEveryOutcomeWithLineNumbers() throws {
        let temp = TemporaryDirectory()
        let file = temp.child("signals.ndjson")
        try Self.input.write(toFile: file, atomically: true, encoding: .utf8)
        let log = temp.child()
        let result = try signallog(["ingest", log, file, "--json"])
        #expect(result.status == 0, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["lines"] as? Int == 9)
        #expect(summary["accepted"] as? Int == 3)
        #expect(summary["duplicates"] as? Int == 1)
        #expect(summary["conflicts"] as? Int == 1)
        #expect(summary["malformed"] as? Int == 2)
        #expect(summary["rejected"] as? Int == 1)
        #expect(summary["blank"] as? Int == 1)
        #expect((summary["rejected_by_reason"] as? [String: Int]) == ["unsupported_schema_version": 1])
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int } == [3, 5, 7, 9])
        #expect((problems[1]["message"] as? String)?.contains("urgency") == true)

        // What was accepted is in the log, pending for the service that owns it.
        let signals = try signallog(["cat", log, "--kind", "signal", "-o", "ndjson"]).ndjson()
        #expect(signals.count == 3)
        let invoice = try #require(signals.first { ($0["signal"] as? [String: Any])?["id"] as? String == "ce-1" })
        #expect(invoice["partition"] as? String == "acct-9")
        let info = try #require(try signallog(["info", log, "--json"]).json() as? [String: Any])
        #expect((info["processing"] as? [String: Any])?["pending_signals"] as? Int == 3)
        #expect(try signallog(["verify", log]).status == 0)

        // Text mode: summary on stdout, problems with line numbers on stderr.
        let again = try signallog(["ingest", log, file])
        #expect(again.status == 0)
        #expect(again.stdout.contains("accepted"))
        #expect(again.stderr.contains("signals.ndjson:3: malformed"))
        #expect(again.stdout.contains("duplicates") && again.stdout.range(of: "duplicates\\s+3", options: .regularExpression) != nil, "\(again)")
        // Reopening for the second import resumed the pending signals without processing them
        // (line 2 has neither id nor key, so it is a new signal each time).
        let after = try #require(try signallog(["info", log, "--json"]).json() as? [String: Any])
        #expect((after["processing"] as? [String: Any])?["pending_signals"] as? Int == 4)
        #expect((after["processing"] as? [String: Any])?["dead_letters"] as? Int == 0)
        #expect(try signallog(["cat", log, "--kind", "attempt", "-o", "ndjson"]).ndjson().allSatisfy {
            ["duplicate", "conflict"].contains(($0["attempt"] as? [String: Any])?["outcome"] as? String)
        }, "ingest never processes: the only attempts are duplicates and conflicts")
    }

    @Test func strictStopsAtTheFirstBadLine() throws {
        let temp = TemporaryDirectory()
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--strict", "--json"], stdin: Self.input)
        #expect(result.status == 1, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["accepted"] as? Int == 2, "lines before the stop are accepted")
        #expect((summary["stopped"] as? String)?.hasPrefix("line 3:") == true)
    }

    @Test func roundTripThroughCatAndCloudEvents() async throws {
        let temp = TemporaryDirectory()
        let source = try await makeSignalLog(temp.child("source"), signals: 20)
        for format in ["ndjson", "cloudevents"] {
            let exported = try signallog(["cat", source.directory, "--kind", "signal", "-o", format])
            let target = temp.child("copy-\(format)")
            let result = try signallog(["ingest", target, "-", "--json"], stdin: exported.stdout)
            #expect(result.status == 0, "\(result)")
            #expect((try result.json() as? [String: Any])?["accepted"] as? Int == 23)
            let original = try signallog(["cat", source.directory, "--kind", "signal", "-o", "cloudevents"]).lines
            let copied = try signallog(["cat", target, "--kind", "signal", "-o", "cloudevents"]).lines
            #expect(copied == original, "signals survive export and import unchanged (\(format))")
        }
    }

    @Test func ingestErrors() throws {
        let temp = TemporaryDirectory()
        let missing = try signallog(["ingest", temp.child(), temp.child("nope.ndjson")])
        #expect(missing.status == 2)
        expectOneLineError(missing, containing: "nope.ndjson")
        #expect(!FileManager.default.fileExists(atPath: temp.child()), "nothing is created for a missing input")

        let path = temp.child("locked")
        let writer = try makeStorageLog(path, count: 3)
        defer { try? writer.close() }
        let locked = try signallog(["ingest", path, "-"], stdin: "{}\n")
        #expect(locked.status == 2)
        expectOneLineError(locked, containing: "locked by a running writer")
    }

    @Test func manySignalsInBatches() throws {
        let temp = TemporaryDirectory()
        var lines: [String] = []
        for i in 0..<5000 {
            lines.append("{\"content\":\"reading \(i)\",\"signal_type\":\"metric\",\"urgency\":0.5,\"source_id\":\"s\(i % 13)\",\"id\":\"sig-\(i)\"}")
        }
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--batch-size", "700", "--json"], stdin: lines.joined(separator: "\n") + "\n")
        #expect((try result.json() as? [String: Any])?["accepted"] as? Int == 5000)
        let ids = try signallog(["cat", log, "--kind", "signal", "-o", "ndjson"]).ndjson().compactMap { ($0["signal"] as? [String: Any])?["id"] as? String }
        #expect(ids == (0..<5000).map { "sig-\($0)" }, "accepted in input order")
    }

    @Test func segmentSizeRotatesSmallLogs() throws {
        let temp = TemporaryDirectory()
        let lines = (0..<3000).map { i in
            "{\"content\":\"reading \(i) with some words to fill the record\",\"signal_type\":\"metric\",\"urgency\":0.5,\"source_id\":\"s\(i % 13)\",\"id\":\"sig-\(i)\"}"
        }
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--segment-size", "64KiB", "--batch-size", "100", "--json"],
                                   stdin: lines.joined(separator: "\n") + "\n")
        #expect((try result.json() as? [String: Any])?["accepted"] as? Int == 3000, "\(result)")
        let segments = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasSuffix(".seg") }
        #expect(segments.count >= 3, "\(segments)")
        // Without the option, the engine's 128 MiB keeps them in one segment.
        let whole = temp.child("whole")
        _ = try signallog(["ingest", whole, "-", "--batch-size", "100"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: whole).filter { $0.hasSuffix(".seg") }.count == 1)
        #expect(try signallog(["verify", log]).status == 0)

        let refused = try signallog(["ingest", temp.child("tiny"), "-", "--segment-size", "1KiB"], stdin: "")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--segment-size"), "\(refused)")
    }
}
