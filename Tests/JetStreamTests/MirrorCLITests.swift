import Foundation
import Testing
import SegmentLog
import SignalLogJetStream

/// `signallog mirror` and `restore` as a user runs them: waiting for a
/// server, giving up, refusing bad input.
@Suite struct MirrorCLITests {
    @Test func mirrorWaitsForAServerThatIsNotUpYet() async throws {
        let scratch = TemporaryDirectory()
        let path = scratch.child("early")
        let records = try writeSampleLog(at: path, count: 500, seed: 8)
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        let mirror = try startTool(["mirror", path, server.url, "--stream", "LATE"])
        // The mirror is already trying (it has nothing to connect to); now the server comes up.
        try await server.start()
        mirror.waitUntilExit()
        #expect(mirror.terminationStatus == 0)
        let client = try await connectClient([server.address])
        #expect(firstDifference(try await streamSequences(JetStream(client: client), stream: "LATE", subjects: LogSubjects(logID: "early")), records.map(\.sequence)) == nil)
        await client.close()
    }

    @Test func mirrorGivesUpNamingTheServer() throws {
        let scratch = TemporaryDirectory()
        let path = scratch.child("lonely")
        try writeSampleLog(at: path, count: 10, seed: 2)
        let port = try freeLoopbackPort()
        let result = try runTool(["mirror", path, "nats://127.0.0.1:\(port)", "--stream", "S", "--give-up-after", "0.5"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("127.0.0.1:\(port)"), "\(result.output)")
    }

    @Test func badInputIsRefused() throws {
        let scratch = TemporaryDirectory()
        let path = scratch.child("log")
        try writeSampleLog(at: path, count: 10, seed: 2)
        #expect(try runTool(["mirror", path, "http://x:1", "--stream", "S"]).status == 2)
        #expect(try runTool(["mirror", scratch.child("missing"), "nats://127.0.0.1:1", "--stream", "S"]).status == 2)
        #expect(try runTool(["mirror", path, "nats://127.0.0.1:1", "--stream", "S", "--mode", "lines"]).status != 0)
    }
}
