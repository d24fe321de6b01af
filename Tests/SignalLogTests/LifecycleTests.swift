import Logging
import SegmentLog
import ServiceLifecycle
import Synchronization
import Testing
@testable import SignalLog

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test func drainsWritesAMarkerAndRefusesNewSignals() async throws {
        let directory = temporaryDirectory("shutdown")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "sd-1", directory: directory, options: testOptions(), handlers: ["work": { signal in
            try await Task.sleep(for: .milliseconds(1))
            recorder.add(signal)
        }])
        _ = try node.receive(batch: (0..<50).map { makeSignal("s\($0)", partition: "p\($0 % 3)") })
        async let drained = node.gracefulShutdown(timeout: patience)
        #expect(await eventually { node.state.withLock { $0.phase != .running } })
        if !node.isClosed {
            #expect(try node.receive(makeSignal("late")) == .rejected(.shuttingDown))
        }
        #expect(await drained)
        #expect(recorder.count == 50)
        #expect(try node.receive(makeSignal("after")) == .rejected(.shuttingDown))
        let all = try records(in: directory)
        guard case .marker(let marker) = all.last?.1 else { Issue.record("no marker at the end"); return }
        #expect(marker.type == .cleanShutdown)
        #expect(marker.totals.processed == 50)
        let reopened = try SignalNode.open(nodeID: "sd-1", directory: directory, options: testOptions())
        #expect(reopened.startup.cleanShutdown)
        #expect(reopened.startup.pendingSignals == 0)
        await reopened.gracefulShutdown(timeout: patience)
    }

    @Test func drainTimeoutLeavesWorkThatIsProcessedAfterReopen() async throws {
        let directory = temporaryDirectory("shutdown")
        defer { removeDirectory(directory) }
        let gate = Gate()
        let before = Recorder()
        let signals = (0..<6).map { makeSignal("s\($0)", partition: $0 < 3 ? "slow" : "fast") }
        do {
            let node = try SignalNode.open(nodeID: "sd-2", directory: directory, options: testOptions(), handlers: ["work": { signal in
                if signal.partitionKey == "slow" { await gate.wait() }
                before.add(signal)
            }])
            _ = try node.receive(batch: signals)
            #expect(await eventually { before.count == 3 })
            #expect(await node.gracefulShutdown(timeout: .milliseconds(100)) == false)
        }
        gate.release()  // the hung handler finishes after close; its outcome is not recorded
        let after = Recorder()
        let node = try SignalNode.open(nodeID: "sd-2", directory: directory, options: testOptions(), handlers: ["work": { after.add($0) }])
        #expect(node.startup.cleanShutdown)
        #expect(node.startup.pendingSignals == 3)
        #expect(await eventually { after.count == 3 })
        #expect(after.ids == signals[0..<3].map(\.id), "undrained work runs after reopen, in order")
        #expect(await node.gracefulShutdown(timeout: patience))
        var processed: [String: Int] = [:]
        for attempt in try attempts(in: directory) where attempt.outcome == .processed { processed[attempt.signalID, default: 0] += 1 }
        #expect(processed == Dictionary(uniqueKeysWithValues: signals.map { ($0.id, 1) }), "nothing recorded as processed twice")
    }

    @Test func runsAsAServiceAndDrainsOnCancellation() async throws {
        let directory = temporaryDirectory("shutdown")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "sd-3", directory: directory, options: testOptions(), handlers: ["work": { recorder.add($0) }])
        let service: any Service = node
        let task = Task { try await service.run() }
        _ = try node.receive(makeSignal())
        #expect(await eventually { recorder.count == 1 })
        task.cancel()
        _ = try? await task.value
        #expect(node.isClosed)
    }
}

@Suite("Service lifecycle")
struct ServiceTests {
    @Test func gracefulShutdownOfAServiceGroupDrainsTheNode() async throws {
        let directory = temporaryDirectory("service")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        var options = testOptions()
        options.shutdownTimeout = patience
        let node = try SignalNode.open(nodeID: "svc", directory: directory, options: options, handlers: ["work": { signal in
            try await Task.sleep(for: .milliseconds(1))
            recorder.add(signal)
        }])
        var logger = Logger(label: "test.group")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [node], logger: logger))
        let running = Task { try await group.run() }
        _ = try node.receive(batch: (0..<20).map { makeSignal("s\($0)", partition: "p\($0 % 2)") })
        // The group has started the node's run() and its shutdown handler is in place.
        #expect(await eventually { node.serviceRuns.load(ordering: .acquiring) == 1 })
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(node.isClosed)
        #expect(recorder.count == 20, "the queue drained before the node closed")
        let reopened = try SignalNode.open(nodeID: "svc", directory: directory, options: testOptions())
        #expect(reopened.startup.cleanShutdown && reopened.startup.pendingSignals == 0)
        await reopened.gracefulShutdown(timeout: patience)
    }
}

@Suite("Projections rebuilt at startup (reliability scenario #17)")
struct RebuildTests {
    @Test(arguments: [10_000, 3])
    func rebuildingTwiceGivesTheLiveState(checkpointInterval: Int) async throws {
        let directory = temporaryDirectory("rebuild")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.checkpointInterval = checkpointInterval
        options.retry.maxAttempts = 2
        let gate = Gate()
        let live: ProjectionSnapshot
        do {
            let node = try SignalNode.open(nodeID: "rb", directory: directory, options: options, handlers: ["work": { signal in
                if signal.partitionKey == "stuck" { await gate.wait() }
                if case .text("fail") = signal.content { throw TestFailure("nope") }
            }])
            _ = try node.receive(batch: (0..<20).map { makeSignal("ok \($0)", key: "k\($0)", partition: "p\($0 % 4)") })
            clock.advance(byMicroseconds: 1_000_000)
            _ = try node.receive(batch: [makeSignal("ok 1", key: "k1"), makeSignal("other", key: "k2"), makeSignal("fail"), makeSignal("?", type: "unknown")])
            _ = try node.receive(batch: (0..<4).map { makeSignal("stuck \($0)", partition: "stuck") })
            #expect(await eventually { node.deadLetters().count == 2 && node.queueDepth == 4 })
            try node.discardDeadLetter(node.deadLetters()[0].signalID)
            clock.advance(byMicroseconds: 400_000_000)
            _ = try node.receive(batch: (0..<3).map { makeSignal("late \($0)", key: "late\($0)", partition: "stuck") })
            live = node.projectionSnapshot()
            #expect(live.pending["stuck"]?.count == 7)
            #expect(live.dedupe.count == 3)
            #expect(await node.gracefulShutdown(timeout: .milliseconds(50)) == false)
        }
        gate.release()
        let log = try SegmentLog.openReadOnly(directory: directory)
        let now = clock.nowMicroseconds()
        let first = try Startup.rebuild(log: log, now: now, ttl: 300_000_000)
        let second = try Startup.rebuild(log: log, now: now, ttl: 300_000_000)
        let snapshotA = first.0.snapshot(now: now, ttl: 300_000_000, log: log)
        let snapshotB = second.0.snapshot(now: now, ttl: 300_000_000, log: log)
        try log.close()
        #expect(snapshotA == snapshotB)
        #expect(snapshotA == live)
        #expect(first.1 == second.1)
    }

    @Test func rebuildWithoutAnyMarkerAfterACrashLikeStop() async throws {
        let directory = temporaryDirectory("rebuild")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.retry.maxAttempts = 1
        let node = try SignalNode.open(nodeID: "rb2", directory: directory, options: options, handlers: ["work": { signal in
            if case .text("fail") = signal.content { throw TestFailure() }
        }])
        _ = try node.receive(batch: (0..<10).map { makeSignal($0 == 3 ? "fail" : "ok \($0)") })
        #expect(await eventually { node.queueDepth == 0 })
        let live = node.projectionSnapshot()
        // Read the log while the node still holds it: no marker has been written.
        let log = try SegmentLog.openReadOnly(directory: directory)
        let rebuilt = try Startup.rebuild(log: log, now: clock.nowMicroseconds(), ttl: 300_000_000)
        #expect(rebuilt.1.markerSequence == nil)
        #expect(rebuilt.0.snapshot(now: clock.nowMicroseconds(), ttl: 300_000_000, log: log) == live)
        try log.close()
        await node.gracefulShutdown(timeout: patience)
    }
}

@Suite("Retention keeps unresolved work")
struct RetentionTests {
    @Test func pendingAndDeadLetteredSignalsAreCarriedForward() async throws {
        let directory = temporaryDirectory("retention")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.log.segmentMaxBytes = 4096
        options.dedupeTTL = .seconds(10)
        options.retry.maxAttempts = 1
        let gate = Gate()
        let stuck = makeSignal("stuck", partition: "stuck")
        let dead = makeSignal("dead", type: "nobody")
        let live: ProjectionSnapshot
        do {
            let node = try SignalNode.open(nodeID: "ret", directory: directory, options: options, handlers: ["work": { signal in
                if signal.partitionKey == "stuck" { await gate.wait() }
            }])
            _ = try node.receive(batch: [stuck, dead])
            #expect(await eventually { node.deadLetters().count == 1 })
            for round in 0..<40 {
                _ = try node.receive(batch: (0..<10).map { makeSignal(String(repeating: "x", count: 100) + "\(round)-\($0)", partition: "p\($0)") })
            }
            #expect(await eventually { node.queueDepth == 1 })
            #expect(node.log.segments().count > 5)
            clock.advance(byMicroseconds: 60_000_000)
            let removed = try node.applyRetention(RetentionPolicy(maxAge: 30_000_000))
            #expect(!removed.isEmpty)
            #expect(node.log.firstSequence > 1, "the segment with the original records is gone")
            #expect(node.deadLetters().map(\.signalID) == [dead.id])
            #expect(node.queueMetrics().depthByPartition == ["stuck": 1])
            let replayed = try node.replay(ReplayQuery(partitions: ["stuck"])).collect()
            #expect(replayed.map(\.signalID) == [stuck.id], "the carried copy replays once")
            live = node.projectionSnapshot()
            _ = await node.gracefulShutdown(timeout: .milliseconds(20))
        }
        gate.release()
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "ret", directory: directory, options: options, handlers: ["work": { recorder.add($0) }])
        #expect(node.projectionSnapshot().deadLetters == live.deadLetters)
        #expect(node.startup.pendingSignals == live.pending.values.map(\.count).reduce(0, +))
        #expect(node.deadLetters().first?.signal == dead)
        #expect(await eventually { recorder.count == 1 })
        #expect(recorder.ids == [stuck.id])
        await node.gracefulShutdown(timeout: patience)
    }
}

@Suite("Replay")
struct ReplayTests {
    @Test func timeRangeAndPartitionFromSegments() async throws {
        let directory = temporaryDirectory("replay")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.log.segmentMaxBytes = 2048
        let node = try SignalNode.open(nodeID: "rp", directory: directory, options: options, handlers: ["work": { _ in }])
        let start = clock.nowMicroseconds()
        var byMinute: [[Signal]] = []
        for minute in 0..<6 {
            let batch = (0..<20).map { makeSignal("m\(minute)-\($0)", partition: $0 % 2 == 0 ? "even" : "odd") }
            _ = try node.receive(batch: batch)
            byMinute.append(batch)
            #expect(await eventually { node.queueDepth == 0 })
            clock.advance(byMicroseconds: 60_000_000)
        }
        #expect(await eventually { node.queueDepth == 0 })
        let window = node.replay(from: start + 120_000_000, to: start + 240_000_000)
        let entries = try window.collect()
        #expect(entries.map(\.signalID) == (byMinute[2] + byMinute[3]).map(\.id))
        #expect(window.statistics.segmentsVisited < node.log.segments().count, "only segments that can hold the range are read")

        let odd = try node.replay(from: start + 60_000_000, to: start + 120_000_000, partition: "odd").collect()
        #expect(odd.map(\.signalID) == byMinute[1].filter { $0.partitionKey == "odd" }.map(\.id))
        guard case .signal(let first) = odd.first else { Issue.record("no signal"); return }
        #expect(first.type == "work" && first.sourceID == "src" && first.content == byMinute[1][1].content)
        #expect(first.correlationID == byMinute[1][1].correlationID && first.timestamp == byMinute[1][1].createdAt)

        let withAttempts = try node.replay(from: start, to: start + 60_000_000, partition: "even", includeAttempts: true).collect()
        #expect(withAttempts.count == 20, "10 signals and their 10 attempts")
        var viaAsync = 0
        for try await _ in node.replay(from: start, to: nil) { viaAsync += 1 }
        #expect(viaAsync == 120)
        await node.gracefulShutdown(timeout: patience)
    }
}
