import Foundation
import Testing
import SegmentLog
import SignalLogJetStream

/// The mirror under faults: SIGKILLed and restarted, its server restarted,
/// a cluster node killed. Each time the stream ends up holding every record
/// exactly once, in log order, with no gap.
@Suite(.serialized) struct MirrorFaultTests {
    @Test func sigkilledMirrorRestartsWithoutGapOrDuplicate() async throws {
        let seed = testSeed(20_261_207, "sigkill")
        var random = SeededRandom(seed: seed)
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("killed")
        let records = try writeSampleLog(at: path, count: 4_000, seed: seed)
        let client = try await connectClient([server.address])
        let js = JetStream(client: client)
        // The seed picks record or batch mode for every run. (Switching modes
        // between runs is not covered: docs/jetstream.md, "Guarantees".)
        let mode = random.next() % 2 == 0 ? "record" : "batch"
        print("sigkill: mode \(mode)")
        let arguments = ["mirror", path, server.url, "--stream", "KILLS", "--max-in-flight", "8", "--mode", mode]
        let subjects = LogSubjects(logID: "killed")
        var kills = 0
        var target: UInt64 = 0
        for _ in 0..<6 {
            target = min(UInt64(records.count), target + 1 + random.next() % 700)
            let mirror = try startTool(arguments)
            // Kill it once the stream holds `target` messages (or it has finished).
            while mirror.isRunning {
                // Records held, whatever the mode: one past the last message's last sequence.
                let last = try? await js.lastMessage(stream: "KILLS", subject: subjects.all)
                let held = last.flatMap { subjects.lastSequence(in: $0.headers) }.map { $0 + 1 } ?? 0
                if held >= target {
                    kill(mirror.processIdentifier, SIGKILL)
                    kills += 1
                    break
                }
                try? await client.flush()
            }
            mirror.waitUntilExit()
        }
        print("sigkill: \(kills) kills")
        let last = try runTool(arguments)
        #expect(last.status == 0, "\(last.output)")
        let sequences = try await streamSequences(js, stream: "KILLS", subjects: subjects)
        #expect(firstDifference(sequences, records.map(\.sequence)) == nil, "seed \(seed)")
        await client.close()
    }

    @Test func serverRestartDuringMirroring() async throws {
        let server = try NATSServerProcess()
        // Kept alive to the end of the test (the last use would otherwise let it go).
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("restart")
        let records = try writeSampleLog(at: path, count: 5_000, seed: testSeed(3, "serverRestart"))
        var clientOptions = NATSOptions(servers: [server.address])
        clientOptions.requestTimeout = .seconds(2)
        let client = try await NATSClient.connect(clientOptions)
        let js = JetStream(client: client)
        let log = try SegmentLog.openReadOnly(directory: path)
        var options = MirrorOptions(stream: "RESTART", subjects: LogSubjects(logID: "restart"))
        options.maxInFlight = 16
        options.ackTimeout = .seconds(2)
        let mirror = LogMirror(log: log, jetStream: js, options: options)
        let running = Task { try await mirror.run() }

        let watcher = try await connectClient([server.address])
        let watch = JetStream(client: watcher)
        try await waitForMessages(watch, stream: "RESTART", atLeast: 1_000)
        server.kill()
        let heldAtKill = try await { () async throws -> UInt64 in
            try await server.start()
            await watcher.waitUntilConnected()
            return try await watch.streamInfo("RESTART").state.messages
        }()
        let progress = try await running.value
        #expect(progress.nextSequence == UInt64(records.count))
        if heldAtKill < UInt64(records.count) { #expect(progress.retries > 0) }
        #expect(firstDifference(try await streamSequences(watch, stream: "RESTART", subjects: options.subjects), records.map(\.sequence)) == nil)
        try log.close()
        await client.close()
        await watcher.close()
    }

    @Test func clusterNodeKilledMidMirrorWithR3Stream() async throws {
        let seed = testSeed(11, "cluster")
        var random = SeededRandom(seed: seed)
        let clientPorts = try (0..<3).map { _ in try freeLoopbackPort() }
        let routePorts = try (0..<3).map { _ in try freeLoopbackPort() }
        let routes = routePorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")
        let nodes = try (0..<3).map { i in
            try NATSServerProcess(port: clientPorts[i], extraArguments: [
                "-n", "node\(i)", "--cluster_name", "mirror-test", "--cluster", "nats://127.0.0.1:\(routePorts[i])", "--routes", routes,
            ])
        }
        defer { for node in nodes { node.kill() } }
        for node in nodes { try await node.start() }
        let scratch = TemporaryDirectory()
        let path = scratch.child("clustered")
        let records = try writeSampleLog(at: path, count: 3_000, seed: seed)
        var clientOptions = NATSOptions(servers: nodes.map(\.address))
        clientOptions.requestTimeout = .seconds(2)
        let client = try await NATSClient.connect(clientOptions)
        let js = JetStream(client: client)
        let log = try SegmentLog.openReadOnly(directory: path)
        var options = MirrorOptions(stream: "R3", subjects: LogSubjects(logID: "clustered"))
        options.replicas = 3
        options.maxInFlight = 16
        options.ackTimeout = .seconds(2)
        let running = Task {
            do {
                return try await LogMirror(log: log, jetStream: js, options: options).run()
            } catch {
                print("cluster: the mirror stopped: \(error)")
                throw error
            }
        }

        let victim = Int(random.next() % 3)
        let survivors = nodes.indices.filter { $0 != victim }.map { nodes[$0].address }
        let watcher = try await connectClient(survivors)
        let watch = JetStream(client: watcher)
        try await waitForMessages(watch, stream: "R3", atLeast: 800)
        nodes[victim].kill()
        let progress = try await running.value
        #expect(progress.nextSequence == UInt64(records.count))
        #expect(firstDifference(try await streamSequences(watch, stream: "R3", subjects: options.subjects), records.map(\.sequence)) == nil, "seed \(seed)")
        try log.close()
        await client.close()
        await watcher.close()
    }
}
