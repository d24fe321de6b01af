import Logging
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
        #expect(node.dedupeStatus.memoryBytes == DedupeTable.shardCount * DedupeTable.minimumCapacity * 8,
                "expired keys give their memory back")
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

    @Test func keysWhoseHashesCollideStayDistinct() throws {
        let store = try DedupeStoreFixture()
        defer { store.close() }
        var set = store.makeSet()
        // Both keys get the same stored hash: only the record tells them apart.
        let a = HashedString("source_type_0000000a", hash: 42), b = HashedString("source_type_0000000b", hash: 42)
        #expect(a != b)
        let signalA = makeSignal("A", key: a.text), signalB = makeSignal("B", key: b.text)
        let recordA = try store.append(signalA)
        #expect(set.claim(a, for: store.entry(signalA, at: recordA)) == nil)
        set.noteAccepted(a, sequence: recordA.sequence, acceptedAt: recordA.time)
        let recordB = try store.append(signalB)
        #expect(set.claim(b, for: store.entry(signalB, at: recordB)) == nil, "a colliding key is not a duplicate")
        set.noteAccepted(b, sequence: recordB.sequence, acceptedAt: recordB.time)
        #expect(set[a]?.signalID == signalA.id)
        #expect(set[b]?.signalID == signalB.id)
        #expect(set[HashedString("source_type_0000000c", hash: 42)] == nil, "a third key with the same hash is not held")
        #expect(set.count == 2)
        #expect(HashedString("same") == HashedString("same"))
        #expect(HashedString("same").hash == HashedString("same").hash)
    }

    @Test func claimAndRestoreUndoAnAcceptance() throws {
        let store = try DedupeStoreFixture(ttl: 300)
        defer { store.close() }
        var set = store.makeSet()
        let key = set.key("k")
        let signal = makeSignal("first", key: "k")
        let record = try store.append(signal)
        let first = store.entry(signal, at: record)
        _ = set.claim(key, for: first)
        set.noteAccepted(key, sequence: record.sequence, acceptedAt: record.time)
        let replaced = set.claim(key, for: DedupeEntry(signalID: "second", fingerprint: 8, acceptedAt: record.time + 100, sequence: record.sequence + 1))
        #expect(replaced == first, "the stored key is confirmed against its record")
        set.restore(key, to: replaced)
        #expect(set[key] == first)
        let other = set.key("other")
        _ = set.claim(other, for: DedupeEntry(signalID: "x", fingerprint: 0, acceptedAt: 0, sequence: record.sequence + 1))
        set.restore(other, to: nil)
        #expect(set[other] == nil)
        set.evictExpired(now: record.time + 299)
        #expect(set.count == 1)
        set.evictExpired(now: record.time + 300)
        #expect(set.count == 0, "a key accepted at t expires at t + TTL")
        #expect(set[key] == nil)
    }

    /// A key accepted again (its default key drawn by another signal, say)
    /// keeps its newer entry when the older acceptance expires.
    @Test func expiryOfAnOlderAcceptanceKeepsTheNewerEntry() throws {
        let store = try DedupeStoreFixture(ttl: 300)
        defer { store.close() }
        var set = store.makeSet()
        let key = set.key("k")
        let old = makeSignal("old", key: "k"), new = makeSignal("new", key: "k")
        let oldRecord = try store.append(old)
        _ = set.claim(key, for: store.entry(old, at: oldRecord))
        set.noteAccepted(key, sequence: oldRecord.sequence, acceptedAt: oldRecord.time)
        store.clock.advance(byMicroseconds: 150)
        let newRecord = try store.append(new)
        #expect(set.claim(key, for: store.entry(new, at: newRecord))?.signalID == old.id)
        set.noteAccepted(key, sequence: newRecord.sequence, acceptedAt: newRecord.time)
        set.evictExpired(now: oldRecord.time + 300)
        #expect(set[key]?.signalID == new.id, "the newer acceptance is kept")
        set.evictExpired(now: newRecord.time + 300)
        #expect(set[key] == nil)
    }
}

/// A real log for exercising a ``DedupeSet`` directly: signal records are
/// appended to it, and the set confirms its candidates against them.
final class DedupeStoreFixture: @unchecked Sendable {
    let directory = temporaryDirectory("dedupe-store")
    let clock = ManualClock()
    let log: SegmentLog
    let ttl: Int64

    init(ttl: Int64 = 300_000_000) throws {
        self.ttl = ttl
        var options = LogOptions()
        options.clock = clock
        log = try SegmentLog.open(directory: directory, options: options)
    }

    func makeSet(maxKeys: Int = 1_000_000) -> DedupeSet {
        var set = DedupeSet(ttl: ttl, maxKeys: maxKeys)
        set.source = DedupeRecordSource(log: log, logger: Logger(label: "dedupe-test"))
        return set
    }

    /// Appends `signal`'s record; its sequence and append time.
    func append(_ signal: Signal) throws -> (sequence: UInt64, time: Int64) {
        var writer = ByteWriter()
        SignalRecord.encode(signal, into: &writer)
        let result = try log.append(kind: SignalRecordKind.signal.rawValue, partition: signal.partitionKey, payload: writer.bytes)
        return (result.firstSequence, result.timestamp)
    }

    func entry(_ signal: Signal, at record: (sequence: UInt64, time: Int64)) -> DedupeEntry {
        DedupeEntry(signalID: signal.id, fingerprint: DedupeEntry.fingerprint(of: signal), acceptedAt: record.time, sequence: record.sequence)
    }

    func close() {
        try? log.close()
        removeDirectory(directory)
    }
}
