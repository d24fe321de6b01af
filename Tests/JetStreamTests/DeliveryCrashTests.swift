import Foundation
import Testing
import SegmentLog
import SignalLog
import SignalLogJetStream

/// Two processes: this one sends through JetStream, a `signallog inbox`
/// child appends to its log and is SIGKILLed at seeded random points, then
/// restarted. The receiving log ends with every signal once, each
/// partition in the order sent.
@Suite(.serialized) struct DeliveryCrashTests {
    @Test func receiverKilledMidStreamLosesNothingAndDuplicatesNothing() async throws {
        let seed = testSeed(20_261_208, "inbox-sigkill")
        var random = SeededRandom(seed: seed)
        let count = 3_000
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let path = scratch.child("node-b")
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        let stream = DeliveryStream(name: "CRASH")
        let target = RemoteTarget(nodeID: "node-b", jetStream: js, stream: stream)
        let arguments = ["inbox", path, server.url, "--stream", "CRASH", "--node", "node-b", "--batch", "64", "--ack-wait", "2"]

        var sent = 0
        var kills = 0
        for round in 0..<8 {
            // Send the next share while the receiver runs, and kill it once
            // its consumer has been delivered a random number more (mostly
            // before the append), or its log holds them (mostly before the ack).
            let inbox = try startTool(arguments)
            let share = min(count - sent, 150 + Int(random.next() % 300))
            let outcomes = try await target.send(batch: (sent..<sent + share).map { deliverySignal($0) })
            #expect(outcomes.allSatisfy { $0.isStored })
            sent += share
            let info = try await waitForConsumer(js, target: target)
            let goal = min(info.deliveredStreamSequence + 1 + random.next() % 150, UInt64(sent))
            let afterAppend = random.next() % 2 == 0
            while inbox.isRunning {
                let reached: Bool
                if afterAppend {
                    reached = (try? SegmentLog.openReadOnly(directory: path)).map { log in
                        defer { try? log.close() }
                        return log.nextSequence >= goal
                    } ?? false
                } else {
                    reached = try await js.consumerInfo(stream: "CRASH", name: target.subjects.consumerName).deliveredStreamSequence >= goal
                }
                if reached {
                    kill(inbox.processIdentifier, SIGKILL)
                    kills += 1
                    break
                }
                try? await client.flush()
            }
            inbox.waitUntilExit()
            print("inbox-sigkill: round \(round) killed \(afterAppend ? "after the append of" : "on delivery of") stream sequence \(goal)")
        }
        let rest = try await target.send(batch: (sent..<count).map { deliverySignal($0) })
        #expect(rest.allSatisfy { $0.isStored })
        print("inbox-sigkill: \(kills) kills")
        let last = try runTool(arguments + ["--until-idle"])
        #expect(last.status == 0, "\(last.output)")
        print("inbox-sigkill: last run: \(last.output)")
        // Redeliveries of signals the log already had became duplicate attempts.
        let absorbed = try readAll(path).filter { $0.kind == SignalRecordKind.attempt.rawValue }.count
        print("inbox-sigkill: \(absorbed) redelivered signals absorbed by dedupe")
        try #expect(deliveryProblem(try signalRecords(path), count: count) == nil, "seed \(seed)")
        let info = try await js.consumerInfo(stream: "CRASH", name: target.subjects.consumerName)
        #expect(info.numAckPending == 0 && info.numPending == 0)
        await client.close()
    }

    /// The consumer's state once the child has created it.
    private func waitForConsumer(_ js: JetStream, target: RemoteTarget) async throws -> ConsumerInfo {
        var found: ConsumerInfo?
        try await waitUntil("the inbox's consumer", client: js.client) {
            found = try? await js.consumerInfo(stream: target.stream.name, name: target.subjects.consumerName)
            return found != nil
        }
        return found!
    }
}
