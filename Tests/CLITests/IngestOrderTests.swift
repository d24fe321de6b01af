import Foundation
import Testing

/// `ingest` decides one batch while it reads and prepares the next: the
/// problems it lists and what it stores must still come out as they would
/// one batch at a time — a batch's conflicts before the malformed lines
/// that follow it, and every accepted signal in input order.
@Suite("ingest order")
struct IngestOrderTests {
    @Test func aBatchsConflictsAreListedBeforeTheLinesAfterIt() throws {
        let temp = TemporaryDirectory()
        let log = temp.child()
        let input = """
            {"content":"x","signal_type":"alert","urgency":0.5,"source_id":"a","idempotency_key":"k1"}
            {"content":"y","signal_type":"alert","urgency":0.5,"source_id":"a","idempotency_key":"k1"}
            not json
            {"content":"c","signal_type":"alert","urgency":0.5,"source_id":"a","idempotency_key":"k3"}
            {"content":"d","signal_type":"alert","urgency":0.5,"source_id":"a","idempotency_key":"k4"}
            """
        let result = try signallog(["ingest", log, "-", "--batch-size", "2", "--json"], stdin: input)
        #expect(result.status == 0, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int } == [2, 3])
        #expect(problems.map { $0["kind"] as? String } == ["conflict", "malformed"])
        #expect(summary["accepted"] as? Int == 3)
    }

    /// Many chunks and batches in flight: the problem list matches a
    /// one-batch-at-a-time account of the input, and the log holds the
    /// accepted signals in input order.
    @Test func manyBatchesKeepTheirOrder() throws {
        let temp = TemporaryDirectory()
        let log = temp.child()
        let lines = 1_000, batchSize = 10
        func line(_ i: Int) -> String {
            if i % 7 == 0 { return "not json \(i)" }
            // Same key as the line before with another payload: a conflict when that one was stored.
            let key = i % 13 == 0 ? "k\(i - 1)" : "k\(i)"
            let content = i % 13 == 0 ? "other" : "c\(i)"
            return #"{"content":"\#(content)","signal_type":"t","urgency":0.5,"source_id":"s\#(i % 5)","idempotency_key":"\#(key)"}"#
        }
        let input = (1...lines).map(line).joined(separator: "\n")

        var expected: [Int] = []
        var stored: [String] = []
        var batch: [Int] = []
        func flush() {
            for j in batch where j % 13 == 0 && (j - 1) % 7 != 0 { expected.append(j) }
            stored += batch.filter { !($0 % 13 == 0 && ($0 - 1) % 7 != 0) }.map { $0 % 13 == 0 ? "other" : "c\($0)" }
            batch.removeAll()
        }
        for i in 1...lines {
            if i % 7 == 0 { expected.append(i); continue }
            batch.append(i)
            if batch.count == batchSize { flush() }
        }
        flush()

        let result = try signallog(["ingest", log, "-", "--batch-size", "\(batchSize)", "--show-problems", "10000", "--json"], stdin: input)
        #expect(result.status == 0, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int ?? -1 } == expected)
        #expect(summary["accepted"] as? Int == stored.count)
        let contents = try signallog(["cat", log, "--kind", "signal", "-o", "ndjson"]).ndjson().map {
            ($0["signal"] as? [String: Any])?["content"] as? String ?? "?"
        }
        #expect(contents == stored)
    }
}
