import Foundation
import Testing
import SegmentLog
import SignalLogJetStream

/// Remote reads: a mirrored log read from its stream gives what a local
/// read of the log gives, for the same query, and names every gap.
@Suite(.serialized) struct RemoteReadTests {
    @Test(arguments: [MirrorMode.record, .batch])
    func streamReadsEqualLocalReads(mode: MirrorMode) async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("audited")
        let records = try writeSampleLog(at: path, count: 1_500, seed: 41)
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        let log = try SegmentLog.openReadOnly(directory: path)
        defer { try? log.close() }
        var options = MirrorOptions(stream: "AUDIT", subjects: LogSubjects(logID: "audited"))
        options.mode = mode
        _ = try await LogMirror(log: log, jetStream: js, options: options).run()
        let reader = StreamLogReader(jetStream: js, stream: "AUDIT", subjects: options.subjects)

        let middle = records[records.count / 2].timestamp
        let queries = [
            LogQuery(),
            LogQuery(since: middle),
            LogQuery(since: records[200].timestamp, until: middle),
            LogQuery(partitions: ["user_1", "orders.eu.*"]),
            LogQuery(fromSequence: 700, kinds: [1, 2]),
        ]
        for query in queries {
            var remote: [LogRecord] = []
            let summary = try await reader.read(query) { remote.append($0); return true }
            var local: [LogRecord] = []
            let localReader = log.read(query)
            while let record = try localReader.next() { local.append(record) }
            #expect(remote == local, "\(mode) \(query)")
            #expect(summary.problems.isEmpty && summary.matched == UInt64(local.count))
        }
        // The CLI prints the same as a local cat.
        let remoteCat = try runTool(["cat", "\(server.url)/AUDIT", "--log", "audited", "-o", "ndjson", "--partition", "sensor-7"])
        let localCat = try runTool(["cat", path, "-o", "ndjson", "--partition", "sensor-7"])
        #expect(remoteCat.status == 0 && localCat.status == 0, "\(remoteCat.output)")
        #expect(remoteCat.output == localCat.output)
        await client.close()
    }

    @Test func gapsAndUnreadableMessagesAreReported() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        let subjects = LogSubjects(logID: "holey")
        try await js.createStream(StreamConfig(name: "HOLEY", subjects: [subjects.streamSubject]))
        // Records 0…9 without 4 and 5, and one message that is no record.
        for sequence: UInt64 in [0, 1, 2, 3, 6, 7, 8, 9] {
            let record = LogRecord(sequence: sequence, timestamp: 1_780_000_000_000_000 + Int64(sequence), kind: 1,
                                   partition: "p", payload: Array("r\(sequence)".utf8))
            _ = try await js.publish(subjects.subject(kind: 1, partition: "p"), payload: record.payload, headers: subjects.headers(for: record))
            if sequence == 7 {
                _ = try await js.publish(subjects.subject(kind: 1, partition: "p"), payload: Array("stray".utf8))
            }
        }
        let reader = StreamLogReader(jetStream: js, stream: "HOLEY", subjects: subjects)
        var sequences: [UInt64] = []
        var heard: [StreamReadProblem] = []
        let summary = try await reader.read(LogQuery(), problem: { heard.append($0) }) { sequences.append($0.sequence); return true }
        #expect(sequences == [0, 1, 2, 3, 6, 7, 8, 9])
        #expect(heard == summary.problems)
        #expect(summary.problems.count == 2)
        #expect(summary.problems.first == .gap(logID: "holey", stream: "HOLEY", expected: 4, found: 6, streamSequence: 5))
        if case .unreadable(_, _, let streamSequence, _) = summary.problems.last { #expect(streamSequence == 7) } else {
            Issue.record("no unreadable message reported: \(summary.problems)")
        }

        let cat = try runTool(["cat", "\(server.url)/HOLEY", "--log", "holey"])
        #expect(cat.status == 1)
        #expect(cat.output.contains("records 4…5 are missing"), "\(cat.output)")
        await client.close()
    }
}
