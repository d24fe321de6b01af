import Foundation
import Synchronization
import Testing
import SegmentLog
import SignalLogJetStream

/// The server goes away while a writer keeps appending: every append
/// returns (the mirror only reads the log), the mirror retries, and once
/// the server is back it catches up with every record once, in order.
@Suite(.serialized) struct MirrorOutageTests {
    @Test func writerKeepsAppendingWhileTheServerIsDownAndTheMirrorCatchesUp() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("outage")
        let writer = try SegmentLog.open(directory: path)
        defer { try? writer.close() }
        func append(_ batches: Int) throws {
            for n in 0..<batches {
                try writer.append((0..<20).map { AppendRecord(kind: 1, partition: "p\($0 % 4)", payload: Array("record \(n).\($0)".utf8)) })
            }
        }
        try append(25)

        // Timeouts well above what a loaded CI machine needs for an answer
        // (a 2 s ack timeout timed out pass after pass under the full
        // suite, and the stream never reached 500 in a minute); the outage
        // itself is seen at once, as a lost connection, not as a timeout.
        var clientOptions = NATSOptions(servers: [server.address])
        clientOptions.requestTimeout = .seconds(15)
        let client = try await NATSClient.connect(clientOptions)
        let reader = try SegmentLog.openReadOnly(directory: path)
        defer { try? reader.close() }
        var options = MirrorOptions(stream: "OUTAGE", subjects: LogSubjects(logID: "outage"))
        options.follow = true
        options.ackTimeout = .seconds(15)
        options.maxBackoff = .milliseconds(200)
        let (updates, continuation) = AsyncStream.makeStream(of: MirrorProgress.self)
        let mirror = LogMirror(log: reader, jetStream: JetStream(client: client), options: options)
        let running = Task { try await mirror.run { continuation.yield($0) } }

        let watcher = try await connectClient([server.address])
        let watch = JetStream(client: watcher, timeout: .seconds(60))
        try await waitForMessages(watch, stream: "OUTAGE", atLeast: 500)
        server.kill()
        // The writer does not wait for the mirror: 1,000 more records while no server is up.
        try append(50)
        #expect(writer.nextSequence == 1_500)
        var retried = false
        for await progress in updates where progress.retries > 0 {
            retried = true
            break
        }
        #expect(retried)
        try await server.start()
        await watcher.waitUntilConnected()
        try await waitForMessages(watch, stream: "OUTAGE", atLeast: 1_500)
        running.cancel()
        continuation.finish()
        _ = try? await running.value
        let sequences = try await streamSequences(watch, stream: "OUTAGE", subjects: options.subjects)
        #expect(firstDifference(sequences, Array(0..<1_500)) == nil)
        await client.close()
        await watcher.close()
    }
}
