import SegmentLog
import Testing
@testable import SignalLog

@Suite("Accept-only nodes")
struct AcceptOnlyTests {
    func acceptOnly(_ clock: ManualClock = ManualClock()) -> SignalNodeOptions {
        var options = testOptions(clock: clock)
        options.processing = false
        return options
    }

    @Test func acceptsWithEveryRuleButProcessesNothingUntilAProcessingNodeOpens() async throws {
        let directory = temporaryDirectory("accept-only")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        let handled = Recorder()
        let signals = (0..<8).map { makeSignal("s\($0)", key: "k\($0)", partition: "p\($0 % 2)") }
        do {
            let node = try SignalNode.open(nodeID: "ao-1", directory: directory, options: acceptOnly(clock), handlers: ["work": { handled.add($0) }])
            let results = try node.receive(batch: signals)
            #expect(results.filter { !$0.isAccepted }.isEmpty)
            #expect(try node.receive(signals[0]) == .duplicate(originalID: signals[0].id), "dedupe applies")
            #expect(try node.receive(makeSignal("other", key: "k1")) == .conflict(originalID: signals[1].id))
            #expect(try node.receive(makeSignal(source: "")) == .rejected(.invalidSignal("source_id must not be empty")))
            #expect(node.queueDepth == 8)
            // Nothing would drain: shutdown does not wait out the timeout.
            #expect(await node.gracefulShutdown(timeout: patience) == false)
        }
        #expect(handled.count == 0)
        #expect(try attempts(in: directory).allSatisfy { $0.outcome != .processed })

        // A second accept-only node (no handlers at all) leaves the pending work alone.
        do {
            let node = try SignalNode.open(nodeID: "ao-2", directory: directory, options: acceptOnly(clock))
            #expect(node.startup.pendingSignals == 8)
            #expect(try node.receive(signals[3]) == .duplicate(originalID: signals[3].id), "the dedupe set is rebuilt")
            #expect(await node.gracefulShutdown(timeout: patience) == false)
            #expect(node.deadLetters().isEmpty)
        }

        let node = try SignalNode.open(nodeID: "ao-3", directory: directory, options: testOptions(clock: clock), handlers: ["work": { handled.add($0) }])
        #expect(node.startup.pendingSignals == 8)
        #expect(await eventually { handled.count == 8 })
        #expect(await node.gracefulShutdown(timeout: patience))
        #expect(Set(handled.ids) == Set(signals.map(\.id)))
        for partition in ["p0", "p1"] {
            #expect(handled.signals.filter { $0.partitionKey == partition }.map(\.id) == signals.filter { $0.partitionKey == partition }.map(\.id),
                    "acceptance order kept in \(partition)")
        }
        #expect(node.deadLetters().isEmpty)
    }

    @Test func schemaVersionsCanBeCheckedAtAcceptance() throws {
        var registry = SchemaRegistry()
        #expect(throws: SchemaRegistry.Failure.unsupported("2.0")) { try registry.checkVersion(of: makeSignal(schema: "2.0")) }
        #expect(throws: SchemaRegistry.Failure.missing) { try registry.checkVersion(of: makeSignal(schema: "")) }
        registry.addSupported("2.0")
        try registry.checkVersion(of: makeSignal(schema: "2.0"))
        #expect(try registry.upcast(makeSignal(schema: "2.0")).schemaVersion == "2.0", "an added version is handled as is")
    }
}
