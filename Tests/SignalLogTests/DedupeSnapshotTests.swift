import Foundation
import SegmentLog
import Testing
@testable import SignalLog

/// The compact dedupe store's limit and its snapshot beside the log
/// (docs/signals.md, "Dedupe").
@Suite("Dedupe store and snapshot")
struct DedupeSnapshotTests {
    static func fill(_ node: SignalNode, _ range: Range<Int>) throws {
        var next = range.lowerBound
        while next < range.upperBound {
            let end = min(range.upperBound, next + 500)
            for result in try node.receive(batch: (next..<end).map { makeSignal("s\($0)", key: "k\($0)", partition: "p\($0 % 8)") }) {
                #expect(result.isAccepted)
            }
            next = end
        }
    }

    static var snapshotName: String { DedupeSnapshot.fileName }

    @Test func aCleanShutdownWritesTheSnapshotAndTheNextOpenReadsItInsteadOfTheLog() async throws {
        let directory = temporaryDirectory("dedupe-snap")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.processing = false
        options.queueCapacity = 1_000_000
        let expected: ProjectionSnapshot
        do {
            let node = try SignalNode.open(nodeID: "snap", directory: directory, options: options)
            try Self.fill(node, 0..<3000)
            expected = node.projectionSnapshot()
            _ = await node.gracefulShutdown(timeout: .zero)
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/" + Self.snapshotName))
        let node = try SignalNode.open(nodeID: "snap", directory: directory, options: options)
        #expect(node.startup.dedupeSnapshotProblem == nil)
        #expect(node.startup.dedupeSnapshotSequence != nil)
        #expect(node.startup.recordsScanned < 10, "the open read \(node.startup.recordsScanned) records besides the snapshot")
        #expect(node.projectionSnapshot() == expected, "the same window as before the restart")
        #expect(try node.receive(makeSignal("s7", key: "k7", partition: "p7")) == .duplicate(originalID: expected.dedupe["k7"]!.signalID))
        #expect(try node.receive(makeSignal("other", key: "k8", partition: "p0")) == .conflict(originalID: expected.dedupe["k8"]!.signalID))
        _ = await node.gracefulShutdown(timeout: .zero)
    }

    @Test(arguments: ["missing", "flipped", "truncated", "stale-marker", "shorter-ttl"])
    func aSnapshotInDoubtIsNotUsedAndTheWindowIsRebuiltFromTheLog(_ damage: String) async throws {
        let directory = temporaryDirectory("dedupe-snap")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.processing = false
        options.queueCapacity = 1_000_000
        var ids: [String: String] = [:]
        do {
            let node = try SignalNode.open(nodeID: "snap", directory: directory, options: options)
            try Self.fill(node, 0..<2000)
            ids = node.projectionSnapshot().dedupe.mapValues(\.signalID)
            _ = await node.gracefulShutdown(timeout: .zero)
        }
        let path = directory + "/" + Self.snapshotName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var reopenOptions = options
        switch damage {
        case "missing":
            try FileManager.default.removeItem(atPath: path)
        case "flipped":
            bytes[bytes.count / 2] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        case "truncated":
            try Data(bytes.prefix(bytes.count - 100)).write(to: URL(fileURLWithPath: path))
        case "stale-marker":
            // An intact file (checksum recomputed) naming another record as
            // its marker (marker_sequence is at offset 40).
            bytes[40] ^= 0x01
            let crc = CRC32C.checksum(Array(bytes.prefix(bytes.count - 8)))
            withUnsafeBytes(of: UInt64(crc).littleEndian) { raw in
                for (i, byte) in raw.enumerated() { bytes[bytes.count - 8 + i] = byte }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        default:
            reopenOptions.dedupeTTL = .seconds(600)
        }
        let node = try SignalNode.open(nodeID: "snap", directory: directory, options: reopenOptions)
        let problem = try #require(node.startup.dedupeSnapshotProblem, "the open says why the snapshot was not used")
        switch (damage, problem) {
        case ("missing", .missing), ("flipped", .damaged), ("truncated", .damaged), ("stale-marker", .stale), ("shorter-ttl", .stale): break
        default: Issue.record("\(damage): \(problem)")
        }
        #expect(node.startup.dedupeSnapshotSequence == nil)
        #expect(node.startup.dedupeKeys == 2000, "rebuilt from the log")
        #expect(try node.receive(makeSignal("s1234", key: "k1234", partition: "p2")) == .duplicate(originalID: ids["k1234"]!))
        _ = await node.gracefulShutdown(timeout: .zero)
        // The clean shutdown wrote a good snapshot again.
        let again = try SignalNode.open(nodeID: "snap", directory: directory, options: reopenOptions)
        #expect(again.startup.dedupeSnapshotProblem == nil)
        _ = await again.gracefulShutdown(timeout: .zero)
    }

    @Test func keysAfterTheSnapshotAreReadFromTheLogTail() async throws {
        let directory = temporaryDirectory("dedupe-snap")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.processing = false
        options.queueCapacity = 1_000_000
        let expected: ProjectionSnapshot
        let snapshotMarker: UInt64
        do {
            let node = try SignalNode.open(nodeID: "tail", directory: directory, options: options)
            try Self.fill(node, 0..<1000)
            try node.checkpoint()
            snapshotMarker = node.log.nextSequence - 1
            clock.advance(byMicroseconds: 1_000_000)
            try Self.fill(node, 1000..<1500)
            expected = node.projectionSnapshot()
            // No clean shutdown: the log ends with signals after the snapshot's marker.
        }
        let node = try SignalNode.open(nodeID: "tail", directory: directory, options: options)
        #expect(node.startup.dedupeSnapshotSequence == snapshotMarker)
        #expect(node.startup.recordsScanned == 500)
        #expect(node.projectionSnapshot().dedupe == expected.dedupe)
        #expect(try node.receive(makeSignal("s1400", key: "k1400", partition: "p0")) == .duplicate(originalID: expected.dedupe["k1400"]!.signalID))
        #expect(try node.receive(makeSignal("s10", key: "k10", partition: "p2")) == .duplicate(originalID: expected.dedupe["k10"]!.signalID))
        // Past the TTL of the snapshot's keys only the later ones are held.
        clock.advance(byMicroseconds: 299_500_000)
        #expect(try node.receive(makeSignal("s10", key: "k10", partition: "p2")).isAccepted)
        if case .duplicate = try node.receive(makeSignal("s1400", key: "k1400", partition: "p0")) {} else {
            Issue.record("a key of the tail expired with the snapshot's")
        }
        _ = await node.gracefulShutdown(timeout: .zero)
    }

    @Test func aFullStoreDropsItsOldestKeysLoudlyAndKeepsItsMemory() async throws {
        let directory = temporaryDirectory("dedupe-full")
        defer { removeDirectory(directory) }
        let metrics = TestMetricsFactory()
        var options = testOptions(metrics: metrics)
        options.processing = false
        options.queueCapacity = 1_000_000
        options.dedupeMaxKeys = 1024
        let node = try SignalNode.open(nodeID: "full", directory: directory, options: options)
        try Self.fill(node, 0..<1024)
        #expect(node.dedupeStatus.droppedEarly == 0)
        let memory = node.dedupeStatus.memoryBytes
        try Self.fill(node, 1024..<20_000)
        let status = node.dedupeStatus
        #expect(status.keys <= 1024)
        #expect(status.droppedEarly >= 20_000 - 1024)
        #expect(status.memoryBytes <= max(memory, 2 * DedupeTable.shardCount * DedupeTable.minimumCapacity * 8),
                "memory \(status.memoryBytes) bytes after 20 000 keys, \(memory) after 1024")
        #expect(metrics.value("signallog_dedupe_keys_dropped_early_total", [("node", "full")]) == Double(status.droppedEarly))
        // A dropped key is accepted again (as documented); a recent one is still a duplicate.
        #expect(try node.receive(makeSignal("s5", key: "k5", partition: "p5")).isAccepted)
        if case .duplicate = try node.receive(makeSignal("s19999", key: "k19999", partition: "p7")) {} else {
            Issue.record("a recent key was forgotten")
        }
        _ = await node.gracefulShutdown(timeout: .zero)
    }

    @Test func aBatchOfManyKeysThatCollideInTheStoreIsStillExact() throws {
        // Every key stored under one hash: each lookup confirms against the records.
        let store = try DedupeStoreFixture()
        defer { store.close() }
        var set = store.makeSet()
        var signals: [Signal] = []
        for index in 0..<200 {
            let signal = makeSignal("c\(index)", key: "collide-\(index)")
            let key = HashedString(signal.idempotencyKey, hash: 7)
            let record = try store.append(signal)
            #expect(set.claim(key, for: store.entry(signal, at: record)) == nil)
            set.noteAccepted(key, sequence: record.sequence, acceptedAt: record.time)
            signals.append(signal)
        }
        for signal in signals {
            #expect(set[HashedString(signal.idempotencyKey, hash: 7)]?.signalID == signal.id)
        }
        #expect(set[HashedString("collide-200", hash: 7)] == nil)
    }

    /// Runs `slog-node-child --dedupe-fill`; its output.
    static func runFill(_ directory: String, first: Int, count: Int, reopen: Bool = false, killAt: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try nodeChildPath())
        process.arguments = ["--dedupe-fill", directory, String(first), String(count)] + (reopen ? ["reopen"] : [])
        var environment = ProcessInfo.processInfo.environment
        if let killAt { environment["SIGNALLOG_KILL_AT"] = killAt }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if killAt != nil {
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL, "child: \(output)")
        } else {
            #expect(process.terminationStatus == 0, "child: \(output)")
        }
        return output
    }

    @Test(arguments: ["derived.after-temp-write", "derived.after-temp-sync", "derived.after-rename"])
    func aKillWhileTheSnapshotIsWrittenLeavesTheOldOneOrNoneAndLosesNoKey(_ point: String) async throws {
        let directory = temporaryDirectory("dedupe-kill")
        defer { removeDirectory(directory) }
        _ = try await offPool { try Self.runFill(directory, first: 0, count: 3000) }
        _ = try await offPool { try Self.runFill(directory, first: 3000, count: 3000, killAt: point) }
        var options = testOptions()
        options.clock = SystemClock()
        options.processing = false
        options.queueCapacity = 1_000_000
        let node = try SignalNode.open(nodeID: "after-kill", directory: directory, options: options)
        #expect(!FileManager.default.fileExists(atPath: directory + "/" + Self.snapshotName + ".tmp"), "the open removes the interrupted file")
        if point == "derived.after-rename" {
            #expect(node.startup.dedupeSnapshotProblem == nil, "the renamed snapshot is complete")
        } else {
            #expect(node.startup.dedupeSnapshotSequence != nil, "the first run's snapshot is still there and usable")
        }
        for index in [0, 2999, 3000, 5999] {
            // Other content under the same key: a conflict naming the original.
            if case .conflict(let original) = try node.receive(Signal(content: .text("again"), type: "work", sourceID: "dedupe",
                                                                   idempotencyKey: "key-\(index)", partitionKey: "p0")) {
                #expect(original == "sig-\(index)")
            } else {
                Issue.record("key-\(index) was forgotten after a kill at \(point)")
            }
        }
        _ = await node.gracefulShutdown(timeout: .zero)
    }

    @Test func memoryDoesNotFollowTheKeysInTheWindow() async throws {
        // Ingest with every key inside the default TTL, then reopen and process:
        // 180 000 more keys held as strings (the 1 M ingest before the compact
        // store peaked about 230 bytes a key above one without dedupe keys)
        // would add about 40 MiB; fixed 8-byte slots add about 2 MiB. The
        // rest of the margin is allocator noise, which reached 18 MiB under
        // the full parallel suite.
        @Sendable func peak(_ count: Int) throws -> Int {
            let directory = temporaryDirectory("dedupe-memory")
            defer { removeDirectory(directory) }
            let output = try Self.runFill(directory, first: 0, count: count, reopen: true)
            #expect(output.contains("DONE \(count) \(count)\n"), "child: \(output)")
            #expect(!output.contains("snapshot=none"), "the reopen used the snapshot: \(output)")
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("PEAK ") }), let kb = Int(line.dropFirst(5)) else {
                throw TestFailure("no PEAK line: \(output)")
            }
            return kb
        }
        let small = try await offPool { try peak(20_000) }
        let large = try await offPool { try peak(200_000) }
        #expect(large - small < 24 * 1024, "peak RSS \(small) kB with 20k keys, \(large) kB with 200k")
    }
}
