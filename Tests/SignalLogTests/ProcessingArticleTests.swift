import Foundation
import Testing
import SignalLog

/// The examples of the DocC article "Processing signals"
/// (Sources/SignalLog/SignalLog.docc/ProcessingSignals.md), kept working.
@Suite struct ProcessingArticleTests {
    @Test func openReceiveWatchAndShutDownAsTheArticleShows() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/article-node-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var options = SignalNodeOptions()
        options.retry = RetryPolicy(maxAttempts: 3)
        let node = try SignalNode.open(nodeID: "node-a", directory: directory, options: options, handlers: [
            "user_action": { _ in },
        ])
        let signals = (0..<1_000).map { i in
            Signal("clicked \(i)", type: "user_action", urgency: 0.4, sourceID: "web-1")
        }
        let results = try node.receive(batch: signals)
        #expect(results.count == 1_000)
        #expect(results.allSatisfy { $0.isAccepted })
        #expect(node.deadLetters().isEmpty)
        #expect(await node.gracefulShutdown(timeout: .seconds(60)))

        // What the article promises of the shutdown: a checkpoint, and no
        // work left pending for the next open.
        let reopened = try SignalNode.open(nodeID: "node-a", directory: directory, options: options, handlers: ["user_action": { _ in }])
        let metrics = reopened.queueMetrics()
        #expect(metrics.queueDepth == 0)
        #expect(metrics.totals.received == 1_000 && metrics.totals.processed == 1_000)
        #expect(await reopened.gracefulShutdown(timeout: .seconds(60)))
    }
}
