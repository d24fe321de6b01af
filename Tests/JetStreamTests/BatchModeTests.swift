import Foundation
import Testing
import SegmentLog
import SignalLogJetStream

/// `--mode batch`: one message per log batch, bytes as on disk; restore keeps
/// the batch boundaries, and a stream that switches modes still restores.
@Suite struct BatchModeTests {
    private func batches(_ path: String) throws -> [StoredBatch] {
        let log = try SegmentLog.openReadOnly(directory: path)
        defer { try? log.close() }
        let reader = log.read()
        var out: [StoredBatch] = []
        while let batch = try reader.nextBatch() { out.append(batch) }
        return out
    }

    @Test func batchRoundTripKeepsRecordsAndBatchBoundaries() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("batched")
        let original = try writeSampleLog(at: path, count: 3_000, seed: testSeed(21, "batchMode"))
        let client = try await connectClient([server.address])
        let js = JetStream(client: client)
        var options = MirrorOptions(stream: "B", subjects: LogSubjects(logID: "batched"))
        options.mode = .batch
        let log = try SegmentLog.openReadOnly(directory: path)
        let progress = try await LogMirror(log: log, jetStream: js, options: options).run()
        try log.close()
        #expect(progress.shipped == original.count)
        let stored = try batches(path)
        #expect(try await js.streamInfo("B").state.messages == UInt64(stored.count))
        let first = try await js.message(stream: "B", sequence: 1)
        #expect(first.subject == "signallog.batched.batch")
        #expect(first.payload == stored[0].bytes)

        let restoredPath = scratch.child("restored")
        let restored = try runTool(["restore", server.url, "--stream", "B", "--log", "batched", restoredPath])
        #expect(restored.status == 0, "\(restored.output)")
        #expect(try readAll(restoredPath) == original)
        let copies = try batches(restoredPath)
        #expect(copies.map(\.firstSequence) == stored.map(\.firstSequence))
        #expect(copies.map(\.recordCount) == stored.map(\.recordCount))
        #expect(try runTool(["verify", restoredPath]).status == 0)
        await client.close()
    }

    @Test func batchModeResumesInTheMiddleOfABatchAfterARecordModeRun() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("mixed")
        let original = try writeSampleLog(at: path, count: 1_000, seed: 4, maxBatch: 40)
        let stored = try batches(path)
        let client = try await connectClient([server.address])
        let js = JetStream(client: client)
        let subjects = LogSubjects(logID: "mixed")
        try await js.createStream(StreamConfig(name: "M", subjects: ["signallog.>"]))
        // A record-mode run that stopped inside the fourth batch.
        let cut = stored[3].firstSequence + UInt64(stored[3].recordCount / 2)
        #expect(cut > stored[3].firstSequence)
        for record in original where record.sequence <= cut {
            _ = try await js.publish(subjects.subject(kind: record.kind, partition: record.partition), payload: record.payload,
                                     headers: subjects.headers(for: record))
        }
        var options = MirrorOptions(stream: "M", subjects: subjects)
        options.mode = .batch
        let log = try SegmentLog.openReadOnly(directory: path)
        let progress = try await LogMirror(log: log, jetStream: js, options: options).run()
        try log.close()
        #expect(progress.shipped == original.count - Int(cut) - 1)
        #expect(progress.nextSequence == UInt64(original.count))

        let restoredPath = scratch.child("restored")
        let restoredLog = try SegmentLog.open(directory: restoredPath)
        _ = try await LogRestore(jetStream: js, options: RestoreOptions(stream: "M", subjects: subjects)).run(into: restoredLog)
        try restoredLog.close()
        #expect(try readAll(restoredPath) == original)
        await client.close()
    }
}
