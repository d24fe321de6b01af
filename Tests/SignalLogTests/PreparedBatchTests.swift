import SegmentLog
import Testing
@testable import SignalLog

/// `prepare` then `receive(prepared:)` is `receive(batch:)` in two steps:
/// same results, same records; a prepared batch used twice, or by another
/// node, is decided afresh and never appends its draft twice.
@Suite struct PreparedBatchTests {
    @Test func preparedBatchesAnswerAndStoreLikeDirectOnes() async throws {
        let clock = ManualClock(microseconds: 1_000_000)
        var options = testOptions(clock: clock)
        options.processing = false
        let direct = temporaryDirectory("prepared-direct")
        let staged = temporaryDirectory("prepared-staged")
        defer { removeDirectory(direct); removeDirectory(staged) }
        let one = try SignalNode.open(nodeID: "n", directory: direct, options: options)
        let two = try SignalNode.open(nodeID: "n", directory: staged, options: options)

        let first = (0..<6).map { makeSignal("s\($0)", key: "k\($0)", partition: "p\($0 % 3)") }
        var invalid = makeSignal("bad", key: "k-bad")
        invalid.urgency = -1
        // A duplicate, a conflict and an invalid signal among new ones.
        let second = [makeSignal("n0", key: "n0"), makeSignal("s1", key: "k1"), invalid, makeSignal("other", key: "k2")]
        for batch in [first, second] {
            // Both prepared before either is received, as ingest overlaps them.
            let prepared = two.prepare(batch)
            #expect(prepared.count == batch.count)
            #expect(try two.receive(prepared: prepared) == (try one.receive(batch: batch)))
        }
        await one.gracefulShutdown(timeout: patience)
        await two.gracefulShutdown(timeout: patience)

        let logged = try records(in: direct).filter { $0.0.kind != SignalRecordKind.marker.rawValue }
        let stagedLog = try records(in: staged).filter { $0.0.kind != SignalRecordKind.marker.rawValue }
        #expect(logged.count == 10)
        #expect(stagedLog.map(\.0.sequence) == logged.map(\.0.sequence))
        #expect(stagedLog.map(\.0.kind) == logged.map(\.0.kind))
        #expect(stagedLog.map(\.0.partition) == logged.map(\.0.partition))
        #expect(stagedLog.map(\.0.payload) == logged.map(\.0.payload))
    }

    @Test func aBatchReceivedTwiceIsDecidedAgain() async throws {
        let directory = temporaryDirectory("prepared-twice")
        defer { removeDirectory(directory) }
        var options = testOptions(clock: ManualClock(microseconds: 5_000_000))
        options.processing = false
        // No dedupe window: a second receive would accept every signal
        // again, so an emptied draft would be appended if it were reused.
        options.dedupeTTL = .zero
        let node = try SignalNode.open(nodeID: "n", directory: directory, options: options)
        let batch = (0..<3).map { makeSignal("s\($0)", key: "k\($0)") }
        let prepared = node.prepare(batch)
        #expect(try node.receive(prepared: prepared) == (0..<3).map { .accepted(sequence: UInt64($0)) })
        #expect(try node.receive(prepared: prepared) == (3..<6).map { .accepted(sequence: UInt64($0)) })

        // Prepared by another node (another log): decided here from the signals.
        let otherDirectory = temporaryDirectory("prepared-other")
        defer { removeDirectory(otherDirectory) }
        let other = try SignalNode.open(nodeID: "o", directory: otherDirectory, options: options)
        let foreign = other.prepare([makeSignal("f", key: "f")])
        #expect(try node.receive(prepared: foreign) == [.accepted(sequence: 6)])
        await other.gracefulShutdown(timeout: patience)
        await node.gracefulShutdown(timeout: patience)

        let logged = try records(in: directory).filter { $0.0.kind == SignalRecordKind.signal.rawValue }
        #expect(logged.map(\.0.sequence) == Array(0...6))
        let contents = logged.map { entry -> String in
            if case .signal(let record) = entry.1 { return record.signal.content.jsonValue.serialized() }
            return "?"
        }
        #expect(contents == ["\"s0\"", "\"s1\"", "\"s2\"", "\"s0\"", "\"s1\"", "\"s2\"", "\"f\""])
    }
}
