import Foundation
import SegmentLog
import Testing
@testable import SignalLog

/// A node's checkpoint is a durable point of its log: after it, damage to
/// the records before it is corruption that a writable open refuses, never a
/// torn tail it cuts (docs/signals.md, docs/format.md).
@Suite("checkpoints as durable points")
struct CheckpointDurabilityTests {
    /// Copies the files of a log that is still open, as a crash would leave them.
    private func crashCopy(of directory: String, to copy: String) throws {
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name != "LOCK" {
            try FileManager.default.copyItem(atPath: directory + "/" + name, toPath: copy + "/" + name)
        }
    }

    /// Flips one bit in the last batch of the newest segment of `directory`.
    private func damageLastBatch(_ directory: String) throws {
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted().last)
        let path = directory + "/" + segment
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 2] ^= 0x08
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private func acceptSome(_ node: SignalNode, count: Int) throws {
        for i in 0..<count {
            _ = try node.receive(Signal(content: .text("reading \(i)"), type: "metric", urgency: 0.5, sourceID: "sensor-\(i % 3)"))
        }
    }

    @Test(arguments: [Durability.os, .interval(milliseconds: 5), .always])
    func explicitCheckpointMakesDamageBeforeItCorruption(durability: Durability) async throws {
        let directory = temporaryDirectory("checkpoint")
        defer { removeDirectory(directory) }
        var options = SignalNodeOptions()
        options.processing = false
        options.log.durability = durability
        options.logger.logLevel = .critical
        let node = try SignalNode.open(nodeID: "n", directory: directory, options: options)
        try acceptSome(node, count: 20)
        try node.checkpoint()
        // The checkpoint marker is the last batch; damage it in a crash copy.
        let copy = directory + "-crash"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try crashCopy(of: directory, to: copy)
        _ = await node.gracefulShutdown(timeout: .seconds(5))
        try damageLastBatch(copy)
        let error = #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: copy) }
        guard case .corruption = error else {
            Issue.record("expected corruption, got \(String(describing: error))")
            return
        }
        let inspector = try SegmentLog.openReadOnly(directory: copy)
        #expect(inspector.recoveryReport.truncatedTail == nil)
        #expect(!inspector.recoveryReport.damage.isEmpty)
        try inspector.close()
    }

    @Test func periodicCheckpointsAreDurablePointsWhenTheLogSyncs() async throws {
        let directory = temporaryDirectory("checkpoint")
        defer { removeDirectory(directory) }
        var options = SignalNodeOptions()
        options.processing = false
        options.log.durability = .always
        options.checkpointInterval = 10
        options.logger.logLevel = .critical
        let node = try SignalNode.open(nodeID: "n", directory: directory, options: options)
        try acceptSome(node, count: 10)
        // The periodic checkpoint was written after the tenth record; an index
        // of the active segment now records it as durable.
        let indexes = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".idx") }
        #expect(!indexes.isEmpty, "no durable point was recorded for the periodic checkpoint")
        _ = await node.gracefulShutdown(timeout: .seconds(5))
    }
}

/// Replay for audits is served from the segments: a gap or damage it passes
/// over is thrown, never skipped in silence, and replay goes on after it.
@Suite("replay over a damaged log")
struct ReplayDamageTests {
    @Test func replayThrowsAtAMissingSegmentAndGoesOnAfterIt() async throws {
        let directory = temporaryDirectory("replay")
        defer { removeDirectory(directory) }
        var options = SignalNodeOptions()
        options.processing = false
        options.log.segmentMaxBytes = 2048
        options.logger.logLevel = .critical
        let node = try SignalNode.open(nodeID: "n", directory: directory, options: options)
        for i in 0..<60 {
            _ = try node.receive(Signal(content: .text("reading \(i) " + String(repeating: "x", count: 40)), type: "metric", urgency: 0.5, sourceID: "s"))
        }
        _ = await node.gracefulShutdown(timeout: .seconds(5))
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
        try #require(segments.count >= 4)
        let removed = segments[1]
        try FileManager.default.removeItem(atPath: directory + "/" + removed)

        let log = try SegmentLog.openReadOnly(directory: directory)
        defer { try? log.close() }
        let replay = SignalReplay(log: log, query: ReplayQuery())
        var signals = 0
        var errors: [SegmentLogError] = []
        while true {
            do {
                guard let entry = try replay.next() else { break }
                if case .signal = entry { signals += 1 }
            } catch let error as SegmentLogError {
                errors.append(error)
                if errors.count > 5 { break }
            }
        }
        #expect(errors.count == 1, "\(errors)")
        #expect(signals > 0 && signals < 60)
    }
}
