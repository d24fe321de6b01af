import SegmentLog
import SignalLog
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func formatRate(_ value: Double) -> String {
    value >= 1e6 ? "\(Int(value / 1e3) / 1000).\(String(Int(value / 1e3) % 1000).leftPad(3))M" : "\(Int(value / 1e3))k"
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

/// `--bench <directory> [signals] [batch] [partitions]`: four runs on fresh
/// subdirectories of <directory>:
///   log:      SignalRecord payloads appended straight to a SegmentLog, `batch` per append
///   receive:  SignalNode.receive(batch:) with a trivial handler; time to accept everything
///   e2e:      the same, until every signal is processed (attempt records written)
///   single:   SignalNode.receive(_:) one signal per call
/// `SLOG_BENCH_ONLY` picks one node run after the two log runs: `e2e`,
/// `paused`, `single`, `accept` (an accept-only node) or `drain` (that
/// backlog reopened and processed).
func runBenchmark(_ arguments: [String]) async {
    guard let directory = arguments.first else {
        writeOut("usage: slog-node-child --bench <empty-directory> [signals] [batch] [partitions]\n")
        exit(2)
    }
    let total = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
    let batchSize = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
    let partitions = arguments.count > 3 ? Int(arguments[3]) ?? 16 : 16
    mkdir(directory, 0o700)
    let signals = (0..<total).map { index in
        Signal(content: .text("{\"sensor\":\"s-\(index % 977)\",\"reading\":\(index % 1000),\"unit\":\"C\",\"note\":\"benchmark payload of typical size\"}"),
               type: "reading", urgency: 0.5, sourceID: "bench-\(index % partitions)")
    }
    let batches = stride(from: 0, to: total, by: batchSize).map { Array(signals[$0..<min($0 + batchSize, total)]) }
    let clock = ContinuousClock()
    writeOut("signals: \(total), batch: \(batchSize), partitions: \(partitions), payload ~\(SignalRecord(signal: signals[0]).encode().count) bytes encoded\n")

    // 1. Straight to the log.
    do {
        let log = try SegmentLog.open(directory: directory + "/log")
        let start = clock.now
        for batch in batches {
            try log.append(batch.map { AppendRecord(kind: SignalRecordKind.signal.rawValue, partition: $0.partitionKey, payload: SignalRecord(signal: $0).encode()) })
        }
        let elapsed = seconds(clock.now - start)
        try log.close()
        writeOut("log append (encode + append):   \(formatRate(Double(total) / elapsed)) signals/s, \(Int(elapsed * 1e9 / Double(total))) ns/signal\n")
        logNanos = elapsed * 1e9 / Double(total)
    } catch {
        writeOut("log run failed: \(error)\n")
    }

    // 1b. Straight to the log, one record per append.
    do {
        let count = min(total, 200_000)
        let log = try SegmentLog.open(directory: directory + "/log-single")
        let start = clock.now
        for index in 0..<count {
            try log.append(kind: SignalRecordKind.signal.rawValue, partition: signals[index].partitionKey, payload: SignalRecord(signal: signals[index]).encode())
        }
        let elapsed = seconds(clock.now - start)
        try log.close()
        singleLogNanos = elapsed * 1e9 / Double(count)
        writeOut("log append, one per call:       \(formatRate(Double(count) / elapsed)) signals/s, \(Int(singleLogNanos)) ns/signal\n")
    } catch {
        writeOut("log single run failed: \(error)\n")
    }

    var options = SignalNodeOptions()
    options.queueCapacity = total + 1
    options.checkpointInterval = 100_000
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    options.logger = logger
    let handled = Atomic<Int>(0)

    let only = getenv("SLOG_BENCH_ONLY").map { String(cString: $0) }
    // 2 and 3. Node, batched receive.
    if only == nil || only == "e2e" { do {
        let node = try SignalNode.open(nodeID: "bench", directory: directory + "/node", options: options, handlers: [
            "reading": { _ in handled.add(1, ordering: .relaxed) },
        ])
        let start = clock.now
        let cpuStart = processCPUSeconds()
        for batch in batches { _ = try node.receive(batch: batch) }
        let accepted = seconds(clock.now - start)
        while node.queueDepth > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        let finished = seconds(clock.now - start)
        let cpu = processCPUSeconds() - cpuStart
        let nanos = accepted * 1e9 / Double(total)
        writeOut("node receive(batch:) accept:    \(formatRate(Double(total) / accepted)) signals/s, \(Int(nanos)) ns/signal (+\(Int(nanos - logNanos)) ns vs log)\n")
        writeOut("node end to end (processed):    \(formatRate(Double(total) / finished)) signals/s, handled \(handled.load(ordering: .relaxed)), CPU \(Int(cpu * 1e9 / Double(total))) ns/signal\n")
        _ = await node.gracefulShutdown(timeout: .seconds(60))
    } catch {
        writeOut("node run failed: \(error)\n")
    } }

    // Accepting alone: handlers wait until everything is accepted.
    if only == nil || only == "paused" { do {
        let open = Atomic<Bool>(false)
        let node = try SignalNode.open(nodeID: "bench", directory: directory + "/paused", options: options, handlers: [
            "reading": { _ in while !open.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(1)) } },
        ])
        let start = clock.now
        for batch in batches { _ = try node.receive(batch: batch) }
        let accepted = seconds(clock.now - start)
        open.store(true, ordering: .releasing)
        let drainStart = clock.now
        while node.queueDepth > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        let drained = seconds(clock.now - drainStart)
        let nanos = accepted * 1e9 / Double(total)
        writeOut("node accept, handlers paused:   \(formatRate(Double(total) / accepted)) signals/s, \(Int(nanos)) ns/signal (+\(Int(nanos - logNanos)) ns vs log)\n")
        writeOut("node draining the backlog:      \(formatRate(Double(total) / drained)) signals/s\n")
        _ = await node.gracefulShutdown(timeout: .seconds(60))
    } catch {
        writeOut("paused run failed: \(error)\n")
    } }

    // Accepting alone (an accept-only node), then draining that backlog on reopen.
    if only == "accept" || only == "drain" { do {
        var acceptOnly = options
        acceptOnly.processing = false
        let node = try SignalNode.open(nodeID: "bench", directory: directory + "/split", options: acceptOnly)
        let start = clock.now
        for batch in batches { _ = try node.receive(batch: batch) }
        let accepted = seconds(clock.now - start)
        _ = await node.gracefulShutdown(timeout: .zero)
        let nanos = accepted * 1e9 / Double(total)
        writeOut("accept-only node receive(batch:): \(formatRate(Double(total) / accepted)) signals/s, \(Int(nanos)) ns/signal (+\(Int(nanos - logNanos)) ns vs log)\n")
        if only == "drain" {
            let drainStart = clock.now
            let reopened = try SignalNode.open(nodeID: "bench", directory: directory + "/split", options: options, handlers: [
                "reading": { _ in handled.add(1, ordering: .relaxed) },
            ])
            let opened = seconds(clock.now - drainStart)
            while reopened.queueDepth > 0 { try? await Task.sleep(for: .milliseconds(1)) }
            let drained = seconds(clock.now - drainStart)
            writeOut("reopen (\(Int(opened * 1000)) ms) and drain the backlog: \(formatRate(Double(total) / drained)) signals/s, handled \(handled.load(ordering: .relaxed))\n")
            _ = await reopened.gracefulShutdown(timeout: .seconds(60))
        }
    } catch {
        writeOut("split run failed: \(error)\n")
    } }

    // 4. One signal per call.
    if only == nil || only == "single" { do {
        let count = min(total, 200_000)
        let node = try SignalNode.open(nodeID: "bench", directory: directory + "/single", options: options, handlers: ["reading": { _ in }])
        let start = clock.now
        for index in 0..<count { _ = try node.receive(signals[index]) }
        let accepted = seconds(clock.now - start)
        while node.queueDepth > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        let finished = seconds(clock.now - start)
        let nanos = accepted * 1e9 / Double(count)
        writeOut("node receive(_:) one per call:  \(formatRate(Double(count) / accepted)) signals/s accepted (+\(Int(nanos - singleLogNanos)) ns vs log), \(formatRate(Double(count) / finished)) processed\n")
        _ = await node.gracefulShutdown(timeout: .seconds(60))
    } catch {
        writeOut("single run failed: \(error)\n")
    } }
}

/// CPU time of the whole process so far (every thread), seconds.
func processCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

nonisolated(unsafe) var logNanos = 0.0
nonisolated(unsafe) var singleLogNanos = 0.0
