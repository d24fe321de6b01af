import Foundation
import Testing
import SegmentLog
import SignalLogJetStream

/// Mirror then restore: the stream holds each record once, in order, and the
/// restored log equals the original and verifies clean.
@Suite struct MirrorRestoreTests {
    @Test func roundTripEqualsTheOriginal() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let original = try writeSampleLog(at: scratch.child("node-a"), count: 3_000, seed: testSeed(17, "roundTrip"))
        let client = try await connectClient([server.address])
        let js = JetStream(client: client)
        let subjects = LogSubjects(logID: "node-a")

        let log = try SegmentLog.openReadOnly(directory: scratch.child("node-a"))
        let first = try await LogMirror(log: log, jetStream: js, options: MirrorOptions(stream: "SIGNALS", subjects: subjects)).run()
        #expect(first.shipped == original.count)
        #expect(first.nextSequence == UInt64(original.count))
        #expect(try await streamSequences(js, stream: "SIGNALS", subjects: subjects) == original.map(\.sequence))

        // A second run finds everything in the stream and ships nothing.
        let second = try await LogMirror(log: log, jetStream: js, options: MirrorOptions(stream: "SIGNALS", subjects: subjects)).run()
        #expect(second.shipped == 0 && second.duplicates == 0)
        try log.close()

        let restoredPath = scratch.child("restored")
        let restoredLog = try SegmentLog.open(directory: restoredPath)
        let summary = try await LogRestore(jetStream: js, options: RestoreOptions(stream: "SIGNALS", subjects: subjects)).run(into: restoredLog)
        try restoredLog.close()
        #expect(summary.records == UInt64(original.count))
        #expect(try readAll(restoredPath) == original)
        let verify = try runTool(["verify", restoredPath])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("Result: clean"))
        await client.close()
    }

    @Test func cliMirrorAndRestoreOfALogWhoseOldestRecordsWereRemoved() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("node-b")
        try writeSampleLog(at: path, count: 2_000, seed: testSeed(5, "retention"))
        // Retention: drop the oldest segment, so the log starts past 0.
        let segments = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(segments.count >= 2)
        for name in [segments[0], segments[0].replacingOccurrences(of: ".seg", with: ".idx")] {
            try FileManager.default.removeItem(atPath: path + "/" + name)
        }
        let original = try readAll(path)
        #expect(original.first!.sequence > 0)

        let mirrored = try runTool(["mirror", path, server.url, "--stream", "S2"])
        #expect(mirrored.status == 0, "\(mirrored.output)")
        #expect(mirrored.output.contains("\(original.count) records shipped"), "\(mirrored.output)")
        let restoredPath = scratch.child("copy")
        let restored = try runTool(["restore", server.url, "--stream", "S2", "--log", "node-b", restoredPath])
        #expect(restored.status == 0, "\(restored.output)")
        #expect(try readAll(restoredPath) == original)
        #expect(try runTool(["verify", restoredPath]).status == 0)

        // Restoring again into the restored log adds nothing.
        let again = try runTool(["restore", server.url, "--stream", "S2", "--log", "node-b", restoredPath])
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains(": 0 records"), "\(again.output)")
        #expect(try readAll(restoredPath) == original)
    }

    @Test func followsALiveWriter() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("live")
        let writer = try SegmentLog.open(directory: path)
        try writer.append((0..<100).map { AppendRecord(kind: 1, partition: "p\($0 % 3)", payload: Array("r\($0)".utf8)) })
        let client = try await connectClient([server.address])
        let js = JetStream(client: client)
        let subjects = LogSubjects(logID: "live")
        let reader = try SegmentLog.openReadOnly(directory: path)
        var options = MirrorOptions(stream: "LIVE", subjects: subjects)
        options.follow = true
        options.pollInterval = .milliseconds(10)
        let mirror = LogMirror(log: reader, jetStream: js, options: options)
        let running = Task { try await mirror.run() }
        for round in 0..<5 {
            try writer.append((0..<50).map { AppendRecord(kind: 2, partition: "q", payload: Array("round \(round) #\($0)".utf8)) })
        }
        // Wait for the stream to hold all 350 (the event), then stop the mirror.
        try await waitForMessages(js, stream: "LIVE", atLeast: 350)
        running.cancel()
        let final = try await running.value
        #expect(final.nextSequence == 350)
        #expect(try await streamSequences(js, stream: "LIVE", subjects: subjects) == Array(0..<350))
        try writer.close()
        try reader.close()
        await client.close()
    }

    @Test func refusesAStreamThatDoesNotCaptureTheLog() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        try writeSampleLog(at: scratch.child("x"), count: 10, seed: 1)
        let client = try await connectClient([server.address])
        let js = JetStream(client: client)
        try await js.createStream(StreamConfig(name: "OTHER", subjects: ["other.>"]))
        let log = try SegmentLog.openReadOnly(directory: scratch.child("x"))
        await #expect(throws: MirrorError.self) {
            _ = try await LogMirror(log: log, jetStream: js, options: MirrorOptions(stream: "OTHER", subjects: LogSubjects(logID: "x"))).run()
        }
        try log.close()
        await client.close()
    }
}
