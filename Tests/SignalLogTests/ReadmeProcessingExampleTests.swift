import Foundation
import Testing
import SignalLog

/// The processing example of README.md, kept compiling and working.
@Suite struct ReadmeProcessingExampleTests {
    @Test func theReadmeProcessingExampleRuns() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/readme-node-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let node = try SignalNode.open(nodeID: "node-a", directory: directory, handlers: [
            "user_action": { signal in
                // Handle it; a throw is a failed attempt, retried per the retry policy, then dead-lettered.
            },
        ])
        let signal = Signal("clicked buy", type: "user_action", urgency: 0.4, sourceID: "web-1")
        let result = try node.receive(signal)
        #expect(result.isAccepted)
        #expect(try await node.outcome(of: signal.id) == .processed(attempts: 1))
        try await node.waitUntilIdle()
        #expect(node.queueMetrics().errorCount == 0)
        #expect(await node.gracefulShutdown(timeout: .seconds(5)))
    }
}
