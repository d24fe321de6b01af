import Foundation
import TestSupport
import Testing

/// `cat --by event`, `trace` and `info` on signals ingested with their own
/// timestamps, out of order and long before they were stored.
@Suite struct EventTimeCLITests {
    /// 200 signals stamped one second apart from 2020-09-13T12:26:40Z,
    /// each moved by up to ±5 minutes, all with correlation id "c1".
    static func input() -> (text: String, times: [Int64]) {
        var random = SplitMix64(seed: 21)
        var lines: [String] = []
        var times: [Int64] = []
        for i in 0..<200 {
            let millis = Int64(1_600_000_000_000) + Int64(i) * 1000 + Int64.random(in: -300_000...300_000, using: &random)
            times.append(millis)
            lines.append(#"{"content":"s\#(i)","signal_type":"t","urgency":0.5,"source_id":"1","correlation_id":"c1","partition_key":"p\#(i % 3)","timestamp":\#(millis)}"#)
        }
        return (lines.joined(separator: "\n") + "\n", times)
    }

    @Test func catTraceAndInfoSelectByTheSignalsOwnTime() throws {
        let temp = TemporaryDirectory()
        let (text, times) = Self.input()
        let file = temp.child("in.ndjson")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let log = temp.child()
        let ingest = try signallog(["ingest", log, file])
        #expect(ingest.status == 0, "\(ingest)")

        let since: Int64 = 1_600_000_050_000, until: Int64 = 1_600_000_090_000
        let expected = times.filter { $0 >= since && $0 < until }.count
        #expect(expected > 10)
        let byEvent = try signallog(["cat", log, "--by", "event", "--since", String(since), "--until", String(until), "--kind", "signal", "-o", "ndjson"])
        #expect(byEvent.status == 0, "\(byEvent)")
        let found = try byEvent.ndjson()
        #expect(found.count == expected)
        #expect(found.allSatisfy { $0["kind"] as? String == "signal" && ($0["signal"] as? [String: Any])?["timestamp"] != nil })
        // cat's default is append time: the window is years before the ingest.
        let byAppend = try signallog(["cat", log, "--since", String(since), "--until", String(until), "-o", "ndjson"])
        #expect(byAppend.status == 0 && byAppend.lines.isEmpty, "\(byAppend)")
        // The newest-first path narrows by the same event times.
        let last = try signallog(["cat", log, "--by", "event", "--since", String(since), "--until", String(until), "--kind", "signal", "--reverse", "-o", "ndjson"])
        #expect(try last.ndjson().count == expected)

        // trace selects by event time unless told otherwise.
        let trace = try signallog(["trace", log, "c1", "--since", String(since), "--until", String(until), "-o", "ndjson"])
        #expect(trace.status == 0, "\(trace)")
        #expect(try trace.ndjson().filter { $0["kind"] as? String == "signal" }.count == expected)
        let traceByAppend = try signallog(["trace", log, "c1", "--by", "append", "--since", String(since), "--until", String(until), "-o", "ndjson"])
        #expect(traceByAppend.lines.isEmpty, "\(traceByAppend)")

        // info shows the event-time span and how far it lies behind append time.
        let info = try signallog(["info", log, "--json"])
        let summary = try #require(try info.json() as? [String: Any])
        #expect(summary["first_event_time"] as? String != nil)
        // Signals lie years behind; the clean-shutdown marker has no event time of its own.
        let lag = try #require(summary["event_minus_append_min_us"] as? Int)
        #expect(lag < -1_000_000_000_000)
        #expect(summary["event_minus_append_max_us"] as? Int == 0)
        let textInfo = try signallog(["info", log])
        #expect(textInfo.stdout.contains("event time"), "\(textInfo)")
    }
}
