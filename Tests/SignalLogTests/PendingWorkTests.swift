import Foundation
import Synchronization
import SegmentLog
import Testing
@testable import SignalLog

#if canImport(Glibc)
import Glibc
#endif

/// The log is the queue (docs/signals.md, "Pending work"): a node holds at
/// most its pending window in memory and reads the rest back in order.
@Suite("Pending work beyond the window", .serialized)
struct PendingWorkTests {
    /// Signals `first..<first+count` over `partitions` partitions.
    static func signals(_ range: Range<Int>, partitions: Int) -> [Signal] {
        range.map { makeSignal("s\($0)", key: "k\($0)", partition: "p\($0 % partitions)") }
    }

    /// Checks that every signal in `sent` was handled exactly once and each
    /// partition's in the order it was sent.
    static func expectInOrder(_ handled: [Signal], _ sent: [Signal]) {
        #expect(handled.count == sent.count)
        #expect(Set(handled.map(\.id)).count == handled.count, "a signal was processed twice")
        var expected: [String: [String]] = [:]
        var got: [String: [String]] = [:]
        for signal in sent { expected[signal.partitionKey, default: []].append(signal.id) }
        for signal in handled { got[signal.partitionKey, default: []].append(signal.id) }
        #expect(got == expected, "per-partition order")
    }

    @Test func aSmallWindowProcessesFarMorePendingSignalsInPartitionOrder() async throws {
        let directory = temporaryDirectory("window")
        defer { removeDirectory(directory) }
        var options = testOptions()
        options.pendingWindow = 16
        options.queueCapacity = 16
        var acceptOnly = options
        acceptOnly.processing = false
        acceptOnly.queueCapacity = Int.max / 2
        let sent = Self.signals(0..<3000, partitions: 7)
        do {
            let node = try SignalNode.open(nodeID: "fill", directory: directory, options: acceptOnly)
            for start in stride(from: 0, to: sent.count, by: 250) {
                _ = try node.receive(batch: Array(sent[start..<start + 250]))
                #expect(node.work.withLock { $0.queues.inMemory } <= 16, "memory holds at most the window")
            }
            #expect(node.queueDepth == 3000)
            _ = await node.gracefulShutdown(timeout: .zero)
        }
        let recorder = Recorder()
        let held = Mutex(0)
        let box = Mutex<SignalNode?>(nil)
        let node = try SignalNode.open(nodeID: "w", directory: directory, options: options, handlers: ["work": { signal in
            if let node = box.withLock({ $0 }) {
                let inMemory = node.work.withLock { $0.queues.inMemory }
                held.withLock { $0 = max($0, inMemory) }
            }
            recorder.add(signal)
        }])
        box.withLock { $0 = node }
        #expect(await eventually { node.queueDepth == 0 })
        #expect(await node.gracefulShutdown(timeout: patience))
        Self.expectInOrder(recorder.signals, sent)
        #expect(held.withLock { $0 } <= 16, "memory held at most the window while processing")
    }

    @Test func pendingSignalsBeyondTheWindowSurviveARestartAndACheckpoint() async throws {
        let directory = temporaryDirectory("window")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var acceptOnly = testOptions(clock: clock)
        acceptOnly.processing = false
        acceptOnly.pendingWindow = 8
        acceptOnly.queueCapacity = Int.max / 2
        acceptOnly.checkpointInterval = 100
        let sent = Self.signals(0..<1000, partitions: 5)
        do {
            let node = try SignalNode.open(nodeID: "a", directory: directory, options: acceptOnly)
            for start in stride(from: 0, to: 600, by: 50) { _ = try node.receive(batch: Array(sent[start..<start + 50])) }
            #expect(node.work.withLock { $0.queues.inMemory } <= 8)
            _ = await node.gracefulShutdown(timeout: .zero)
        }
        do {
            // A second accept-only node reopens with the work still pending and adds more.
            let node = try SignalNode.open(nodeID: "b", directory: directory, options: acceptOnly)
            #expect(node.startup.pendingSignals == 600)
            #expect(node.startup.cleanShutdown)
            #expect(node.work.withLock { $0.queues.inMemory } == 0, "reopening reads no pending signal")
            _ = try node.receive(batch: Array(sent[600..<1000]))
            #expect(node.queueDepth == 1000)
            _ = await node.gracefulShutdown(timeout: .zero)
        }
        // The inspection counts without reading the signals, and can list them.
        do {
            let log = try SegmentLog.openReadOnly(directory: directory)
            defer { try? log.close() }
            clock.advance(byMicroseconds: 600_000_000)
            let inspection = try SignalLogInspection(log: log, now: clock.nowMicroseconds())
            #expect(inspection.pending.count == 1000)
            #expect(inspection.pendingByPartition == ["p0": 200, "p1": 200, "p2": 200, "p3": 200, "p4": 200])
            #expect(inspection.report.recordsScanned == 0, "past the TTL nothing before the final marker is read")
            #expect(try inspection.pendingSignals(in: log).map(\.signal.id) == sent.map(\.id))
            let bySegment = try inspection.pendingCountsBySegment(in: log)
            #expect(bySegment.values.reduce(0, +) == 1000)
        }
        var processing = testOptions(clock: clock)
        processing.pendingWindow = 8
        processing.queueCapacity = 8
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "c", directory: directory, options: processing, handlers: ["work": { recorder.add($0) }])
        #expect(node.startup.pendingSignals == 1000)
        #expect(await eventually { node.queueDepth == 0 })
        #expect(await node.gracefulShutdown(timeout: patience))
        Self.expectInOrder(recorder.signals, sent)
        let reopened = try SignalNode.open(nodeID: "d", directory: directory, options: processing, handlers: ["work": { recorder.add($0) }])
        #expect(reopened.startup.pendingSignals == 0)
        #expect(await reopened.gracefulShutdown(timeout: patience))
    }

    @Test func aCrashWithAPendingBacklogLosesAndRepeatsNothing() async throws {
        let directory = temporaryDirectory("window-crash")
        defer { removeDirectory(directory) }
        var acknowledged: [Ack] = []
        for (round, wanted) in [2000, 3000].enumerated() {
            acknowledged += try runChildAndKill(directory: directory, firstIndex: round * 1_000_000, acks: wanted, window: 16)
            var options = testOptions()
            options.clock = SystemClock()
            options.queueCapacity = 16
            options.pendingWindow = 16
            let recorder = Recorder()
            let node = try SignalNode.open(nodeID: "parent", directory: directory, options: options, handlers: ["work": { recorder.add($0) }])
            #expect(node.startup.pendingSignals > 16, "the kill leaves more pending than the window")
            #expect(await eventually { node.queueDepth == 0 })
            #expect(await node.gracefulShutdown(timeout: patience))
        }
        var acceptance: [String: (sequence: UInt64, partition: String)] = [:]
        var processed: [String: Int] = [:]
        var order: [String: [UInt64]] = [:]
        for (record, decoded) in try records(in: directory) {
            switch decoded {
            case .signal(let signal) where signal.carriedFrom == nil:
                acceptance[signal.signal.id] = (record.sequence, record.partition)
            case .attempt(let attempt) where attempt.attempt.outcome == .processed:
                processed[attempt.attempt.signalID, default: 0] += 1
                if let accepted = acceptance[attempt.attempt.signalID] { order[accepted.partition, default: []].append(accepted.sequence) }
            default:
                break
            }
        }
        for ack in acknowledged { #expect(processed[ack.id] == 1, "\(ack.id) processed \(processed[ack.id] ?? 0) times") }
        #expect(processed.count == acceptance.count, "every accepted signal was processed")
        #expect(processed.values.allSatisfy { $0 == 1 })
        for (partition, sequences) in order { #expect(sequences == sequences.sorted(), "partition \(partition) out of order") }
    }

    /// Runs `slog-node-child --pending-memory` and returns its peak RSS in kB.
    static func peakOfChild(signals: Int) throws -> Int {
        let directory = temporaryDirectory("window-memory")
        defer { removeDirectory(directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try nodeChildPath())
        process.arguments = ["--pending-memory", directory, String(signals)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(output.contains("DONE \(signals)\n"), "child: \(output)")
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("PEAK ") }), let peak = Int(line.dropFirst(5)) else {
            throw TestFailure("no PEAK line from the child: \(output)")
        }
        return peak
    }

    @Test func memoryDoesNotGrowWithThePendingCount() throws {
        let small = try Self.peakOfChild(signals: 20_000)
        let large = try Self.peakOfChild(signals: 200_000)
        // 180 000 more pending signals of ~350 bytes would add well over
        // 100 MiB if they were held; 48 MiB leaves room for allocator noise.
        #expect(large - small < 48 * 1024, "peak RSS \(small) kB for 20k pending, \(large) kB for 200k")
    }

    @Test func markersRoundTripTheirPendingTableAndOldMarkersStillDecode() throws {
        let table = [MarkerRecord.PendingPartition(partition: "a", headOrder: 7, count: 3, finishedAhead: 1),
                     MarkerRecord.PendingPartition(partition: "", headOrder: 0, count: 1)]
        let marker = MarkerRecord(type: .checkpoint, time: 42, nodeID: "n", lowWaterSequence: 5, totals: SignalTotals(), deadLetters: [], pending: table)
        #expect(try MarkerRecord.decode(marker.encode()) == marker)
        let empty = MarkerRecord(type: .cleanShutdown, time: 1, nodeID: "n", lowWaterSequence: 9, totals: SignalTotals(), deadLetters: [], pending: [])
        #expect(try MarkerRecord.decode(empty.encode()).pending == [])
        // A marker of the first revision ends after its dead letters.
        let old = MarkerRecord(type: .checkpoint, time: 1, nodeID: "old", lowWaterSequence: 3, totals: SignalTotals(), deadLetters: [])
        let decoded = try MarkerRecord.decode(old.encode())
        #expect(decoded.pending == nil)
        #expect(decoded.lowWaterSequence == 3)
        var truncated = marker.encode()
        truncated.removeLast()
        #expect(throws: SignalRecordError.self) { try MarkerRecord.decode(truncated) }
    }

    @Test func aLogWhoseNewestMarkerHasNoPendingTableIsRebuiltFromTheLowWaterMark() async throws {
        let directory = temporaryDirectory("window-legacy")
        defer { removeDirectory(directory) }
        let sent = Self.signals(0..<40, partitions: 3)
        do {
            let log = try SegmentLog.open(directory: directory)
            for signal in sent.prefix(10) {
                try log.append(kind: SignalRecordKind.signal.rawValue, partition: signal.partitionKey, payload: SignalRecord(signal: signal).encode())
            }
            // A first-revision marker: every signal before sequence 4 is finished.
            for signal in sent.prefix(4) {
                let attempt = ProcessingAttempt(signalID: signal.id, nodeID: "old", startedAt: 1, duration: 1, outcome: .processed, correlationID: signal.correlationID)
                try log.append(kind: SignalRecordKind.attempt.rawValue, partition: signal.partitionKey, payload: AttemptRecord(attempt).encode())
            }
            let old = MarkerRecord(type: .checkpoint, time: 1, nodeID: "old", lowWaterSequence: 4, totals: SignalTotals(fields: [10, 4]), deadLetters: [])
            try log.append(kind: SignalRecordKind.marker.rawValue, partition: "", payload: old.encode())
            for signal in sent[10...] {
                try log.append(kind: SignalRecordKind.signal.rawValue, partition: signal.partitionKey, payload: SignalRecord(signal: signal).encode())
            }
            try log.close()
        }
        var options = testOptions()
        options.pendingWindow = 4
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "new", directory: directory, options: options, handlers: ["work": { recorder.add($0) }])
        #expect(node.startup.pendingSignals == 36)
        #expect(await eventually { node.queueDepth == 0 })
        #expect(await node.gracefulShutdown(timeout: patience))
        Self.expectInOrder(recorder.signals, Array(sent[4...]))
        #expect(node.queueMetrics().totals.processed == 40)
    }

    @Test func retentionCarriesABacklogForwardInOrder() async throws {
        let directory = temporaryDirectory("window-retention")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.log.segmentMaxBytes = 4096
        options.dedupeTTL = .seconds(10)
        options.pendingWindow = 4
        var acceptOnly = options
        acceptOnly.processing = false
        acceptOnly.queueCapacity = Int.max / 2
        let sent = Self.signals(0..<300, partitions: 3)
        do {
            let node = try SignalNode.open(nodeID: "r", directory: directory, options: acceptOnly)
            for start in stride(from: 0, to: 300, by: 10) { _ = try node.receive(batch: Array(sent[start..<start + 10])) }
            #expect(node.log.segments().count > 5)
            clock.advance(byMicroseconds: 60_000_000)
            let removed = try node.applyRetention(RetentionPolicy(maxAge: 30_000_000))
            #expect(!removed.isEmpty)
            #expect(node.queueDepth == 300)
            // Accepted after the carry: behind the carried backlog.
            _ = try node.receive(makeSignal("late", key: "late", partition: "p0"))
            _ = await node.gracefulShutdown(timeout: .zero)
        }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "r2", directory: directory, options: options, handlers: ["work": { recorder.add($0) }])
        #expect(node.log.firstSequence > 0, "segments were removed")
        #expect(node.startup.pendingSignals == 301)
        #expect(await eventually { node.queueDepth == 0 })
        #expect(await node.gracefulShutdown(timeout: patience))
        Self.expectInOrder(recorder.signals.filter { $0.idempotencyKey != "late" }, sent)
        #expect(recorder.signals.last(where: { $0.partitionKey == "p0" })?.idempotencyKey == "late")
    }
}
