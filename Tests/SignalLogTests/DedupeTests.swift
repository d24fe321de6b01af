import SegmentLog
import Testing
@testable import SignalLog

@Suite("Deduplication and idempotency")
struct DedupeTests {
    @Test func duplicateWithinTheTTLIsCountedRecordedAndNotProcessed() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "dedupe-1", directory: directory, options: testOptions(), handlers: ["work": { recorder.add($0) }])
        let first = makeSignal("a", key: "key-1")
        #expect(try node.receive(first).isAccepted)
        let second = makeSignal("a", key: "key-1")
        #expect(try node.receive(second) == .duplicate(originalID: first.id))
        #expect(node.queueMetrics().duplicateCount == 1)
        #expect(await node.gracefulShutdown(timeout: patience))
        #expect(recorder.ids == [first.id])
        let duplicates = try attempts(in: directory).filter { $0.outcome == .duplicate(of: first.id) }
        #expect(duplicates.map(\.signalID) == [second.id])
    }

    @Test func keyAtTheTTLEdge() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        let node = try SignalNode.open(nodeID: "dedupe-2", directory: directory, options: testOptions(clock: clock), handlers: ["work": { _ in }])
        #expect(try node.receive(makeSignal("a", key: "edge")).isAccepted)
        clock.advance(byMicroseconds: 300_000_000 - 1)
        if case .duplicate = try node.receive(makeSignal("a", key: "edge")) {} else { Issue.record("one microsecond before the TTL must be a duplicate") }
        clock.advance(byMicroseconds: 1)
        #expect(try node.receive(makeSignal("a", key: "edge")).isAccepted, "at exactly the TTL the key has expired")
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func sameKeyDifferentPayloadIsAConflict() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "dedupe-3", directory: directory, options: testOptions(), handlers: ["work": { recorder.add($0) }])
        let first = makeSignal("original", key: "k")
        _ = try node.receive(first)
        let other = makeSignal("different", key: "k")
        #expect(try node.receive(other) == .conflict(originalID: first.id))
        #expect(node.queueMetrics().totals.conflicts == 1)
        #expect(node.queueMetrics().duplicateCount == 0)
        await node.gracefulShutdown(timeout: patience)
        #expect(recorder.ids == [first.id])
        #expect(try attempts(in: directory).contains { $0.signalID == other.id && $0.outcome == .conflict(with: first.id) })
    }

    @Test func duplicatesWithinOneBatch() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let node = try SignalNode.open(nodeID: "dedupe-4", directory: directory, options: testOptions(), handlers: ["work": { _ in }])
        let a = makeSignal("x", key: "same"), b = makeSignal("x", key: "same"), c = makeSignal("y", key: "same")
        let results = try node.receive(batch: [a, b, c])
        #expect(results[0].isAccepted)
        #expect(results[1] == .duplicate(originalID: a.id))
        #expect(results[2] == .conflict(originalID: a.id))
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func expiredKeysAreEvicted() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        let node = try SignalNode.open(nodeID: "dedupe-5", directory: directory, options: testOptions(clock: clock), handlers: ["work": { _ in }])
        _ = try node.receive(batch: (0..<500).map { makeSignal("s\($0)", key: "k\($0)") })
        #expect(node.state.withLock { $0.dedupe.count } == 500)
        clock.advance(byMicroseconds: 301_000_000)
        _ = try node.receive(makeSignal("new", key: "fresh"))
        #expect(node.state.withLock { $0.dedupe.count } == 1)
        #expect(node.state.withLock { $0.dedupe.expiryQueueCount } == 1)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func duplicateAcrossARestartIsCaught() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        let recorder = Recorder()
        let first = makeSignal("a", key: "restart-key")
        do {
            let node = try SignalNode.open(nodeID: "dedupe-6", directory: directory, options: testOptions(clock: clock), handlers: ["work": { recorder.add($0) }])
            _ = try node.receive(first)
            #expect(await node.gracefulShutdown(timeout: patience))
        }
        clock.advance(byMicroseconds: 60_000_000)
        let node = try SignalNode.open(nodeID: "dedupe-6", directory: directory, options: testOptions(clock: clock), handlers: ["work": { recorder.add($0) }])
        #expect(try node.receive(makeSignal("a", key: "restart-key")) == .duplicate(originalID: first.id))
        #expect(node.queueMetrics().duplicateCount == 1)
        clock.advance(byMicroseconds: 240_000_000)
        #expect(try node.receive(makeSignal("a", key: "restart-key")).isAccepted)
        await node.gracefulShutdown(timeout: patience)
        #expect(recorder.count == 2)
    }

    @Test func startupReadsOnlyTheLastTTL() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.queueCapacity = 100_000
        do {
            let node = try SignalNode.open(nodeID: "dedupe-7", directory: directory, options: options, handlers: ["work": { _ in }])
            for chunk in 0..<20 {
                _ = try node.receive(batch: (0..<1000).map { makeSignal("old \(chunk) \($0)", partition: "p\($0 % 10)") })
            }
            #expect(await eventually { node.queueDepth == 0 })
            clock.advance(byMicroseconds: 600_000_000)
            _ = try node.receive(batch: (0..<10).map { makeSignal("new \($0)", key: "new-\($0)") })
            #expect(await node.gracefulShutdown(timeout: patience))
        }
        let node = try SignalNode.open(nodeID: "dedupe-7", directory: directory, options: options, handlers: ["work": { _ in }])
        #expect(node.startup.cleanShutdown)
        #expect(node.startup.recordsScanned < 100, "scanned \(node.startup.recordsScanned) records of \(node.log.nextSequence)")
        #expect(node.startup.dedupeKeys == 10)
        #expect(node.queueMetrics().totals.received == 20_010)
        #expect(node.queueMetrics().totals.processed == 20_010)
        if case .duplicate = try node.receive(makeSignal("new 3", key: "new-3")) {} else { Issue.record("key from the last TTL forgotten") }
        await node.gracefulShutdown(timeout: patience)
    }
}

@Suite("Default idempotency keys")
struct DefaultKeyTests {
    @Test func collidingDefaultKeysAreNotDuplicatesButResendsAre() async throws {
        let directory = temporaryDirectory("dedupe")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "keys", directory: directory, options: testOptions(), handlers: ["work": { recorder.add($0) }])
        // Two different signals whose ids share the first 8 hex digits get the same default key.
        let a = Signal(content: .text("a"), type: "work", sourceID: "src", id: "abcdef01-0000-4000-8000-000000000001")
        let b = Signal(content: .text("b"), type: "work", sourceID: "src", id: "abcdef01-0000-4000-8000-000000000002")
        #expect(a.idempotencyKey == b.idempotencyKey)
        #expect(try node.receive(a).isAccepted)
        #expect(try node.receive(b).isAccepted)
        #expect(try node.receive(b) == .duplicate(originalID: b.id), "the same signal sent again is a duplicate")
        await node.gracefulShutdown(timeout: patience)
        #expect(recorder.ids == [a.id, b.id])
    }

    @Test func keysWhoseHashesCollideStayDistinct() {
        var set = DedupeSet()
        let a = HashedString("source_type_0000000a", hash: 42), b = HashedString("source_type_0000000b", hash: 42)
        #expect(a != b)
        #expect(set.claim(a, for: DedupeEntry(signalID: "A", fingerprint: 1, acceptedAt: 10)) == nil)
        #expect(set.claim(b, for: DedupeEntry(signalID: "B", fingerprint: 2, acceptedAt: 10)) == nil, "a colliding key is not a duplicate")
        #expect(set[a]?.signalID == "A")
        #expect(set[b]?.signalID == "B")
        #expect(set.count == 2)
        #expect(HashedString("same") == HashedString("same"))
        #expect(HashedString("same").hash == HashedString("same").hash)
    }

    @Test func claimAndRestoreUndoAnAcceptance() {
        var set = DedupeSet()
        let key = HashedString("k")
        let first = DedupeEntry(signalID: "first", fingerprint: 7, acceptedAt: 100)
        _ = set.claim(key, for: first)
        set.noteAccepted(key, acceptedAt: 100, expiresAt: 400)
        let replaced = set.claim(key, for: DedupeEntry(signalID: "second", fingerprint: 8, acceptedAt: 200))
        #expect(replaced == first)
        set.restore(key, to: replaced)
        #expect(set[key] == first)
        let other = HashedString("other")
        _ = set.claim(other, for: DedupeEntry(signalID: "x", fingerprint: 0, acceptedAt: 0))
        set.restore(other, to: nil)
        #expect(set[other] == nil)
        set.evictExpired(now: 399)
        #expect(set.count == 1)
        set.evictExpired(now: 400)
        #expect(set.count == 0, "a key accepted at t expires at t + TTL")
        #expect(set.expiryQueueCount == 0)
    }

    /// A key accepted again (its default key drawn by another signal, say)
    /// keeps its newer entry when the older acceptance expires.
    @Test func expiryOfAnOlderAcceptanceKeepsTheNewerEntry() {
        var set = DedupeSet()
        let key = HashedString("k")
        _ = set.claim(key, for: DedupeEntry(signalID: "old", fingerprint: 1, acceptedAt: 100))
        set.noteAccepted(key, acceptedAt: 100, expiresAt: 400)
        _ = set.claim(key, for: DedupeEntry(signalID: "new", fingerprint: 2, acceptedAt: 250))
        set.noteAccepted(key, acceptedAt: 250, expiresAt: 550)
        set.evictExpired(now: 400)
        #expect(set[key]?.signalID == "new", "the newer acceptance is kept")
        #expect(set.expiryQueueCount == 1)
        set.evictExpired(now: 550)
        #expect(set[key] == nil)
        #expect(set.expiryQueueCount == 0)
    }
}
