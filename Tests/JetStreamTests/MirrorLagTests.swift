import Foundation
import MetricsTestKit
import Testing
import SegmentLog
import SignalLogJetStream

/// Lag: records and seconds a mirror is behind its log, as gauges while it
/// runs, from `MirrorLag`, and in `signallog info --mirror`.
@Suite(.serialized) struct MirrorLagTests {
    @Test func lagGaugesFallToZeroAndInfoReportsWhatIsBehind() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("lagging")
        let clock = ManualClock(microseconds: 1_780_000_000_000_000)
        var logOptions = LogOptions()
        logOptions.clock = clock
        let writer = try SegmentLog.open(directory: path, options: logOptions)
        for n in 0..<10 {
            try writer.append((0..<30).map { AppendRecord(kind: 1, partition: "p\($0 % 3)", payload: Array("record \(n).\($0)".utf8)) })
            clock.advance(byMicroseconds: 1_000_000)
        }
        // 300 records, appended over 9 s.
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        let metrics = TestMetrics()
        let reader = try SegmentLog.openReadOnly(directory: path)
        let options = MirrorOptions(stream: "LAG", subjects: LogSubjects(logID: "lagging"))
        let progress = try await LogMirror(log: reader, jetStream: js, options: options, metricsFactory: metrics).run()
        #expect(progress.lag == MirrorLag(records: 0, seconds: 0))
        let records = try metrics.expectGauge("signallog_mirror_lag_records", [("log", "lagging"), ("stream", "LAG")])
        let seconds = try metrics.expectGauge("signallog_mirror_lag_seconds", [("log", "lagging"), ("stream", "LAG")])
        #expect(records.values.first == 300 && records.lastValue == 0)
        #expect(seconds.values.first == 9 && seconds.lastValue == 0)

        // 40 more records, 5 s after the last mirrored one: 40 records and 5 s behind.
        clock.advance(byMicroseconds: 4_000_000)
        try writer.append((0..<40).map { AppendRecord(kind: 1, partition: "p\($0 % 3)", payload: Array("late \($0)".utf8)) })
        try reader.refresh()
        let behind = try MirrorLag.of(reader, mirroredNext: progress.nextSequence, mirroredTime: progress.mirroredTime)
        #expect(behind == MirrorLag(records: 40, seconds: 5), "\(progress)")
        let info = try runTool(["info", path, "--mirror", server.url, "--stream", "LAG", "--json"])
        #expect(info.status == 0, "\(info.output)")
        #expect(info.output.contains(#""lag_records": 40"#) && info.output.contains(#""lag_seconds": 5"#), "\(info.output)")
        let text = try runTool(["info", path, "--mirror", server.url, "--stream", "LAG"])
        #expect(text.output.contains("holds through sequence 299; 40 records, 5.0 s behind"), "\(text.output)")
        try reader.close()
        try writer.close()
        await client.close()
    }
}
