import Foundation
import SegmentLog
import SignalLog

/// Workload 5: `SignalNode.receive` with a trivial handler against a plain
/// append of the same signal records.
///
/// 1. plain: each signal's record (`SignalRecord.encode()`) appended to a
///    SegmentLog, one call per signal — the baseline latency and rate;
/// 2. throughput: one producer thread calls `receive` for every signal as
///    fast as it can; the rate counts until every handler has run;
/// 2b. batched: the same on fresh nodes through `receive(batch:)`, 1,000
///    signals a call, three rounds (the median is reported);
/// 3. paced: signals sent at a steady pace the node keeps up with, to
///    measure receive-to-handler latency without queueing;
/// 4. startup: the node reopened on the log it wrote (projection rebuild,
///    dedupe TTL covering the last 1 % of the log's time span) against a
///    full scan of that log.
///
/// Every signal must be accepted and handled exactly once, or the workload fails.
struct ProcessingWorkload {
    let buffers: CorpusBuffers
    let options: BenchOptions
    /// Append-clock step per signal (the node runs on a ManualClock).
    static let stepMicroseconds: Int64 = 100
    /// Gap between paced signals.
    static let paceMicroseconds: UInt32 = 250

    func run(directory: String) async throws -> ProcessingResult {
        let n = options.processingSignals
        let paced = options.quick ? 200 : 2_000
        let signals = makeSignals(count: n + paced)
        let workload = "processing"

        // 1. Plain appends of the same records.
        let plainDirectory = directory + "-plain"
        let plain = try plainAppend(directory: plainDirectory, signals: Array(signals.prefix(n)))
        DirectorySize.remove(plainDirectory)

        // 2. Throughput.
        let clock = ManualClock(microseconds: Timeline.origin)
        var nodeOptions = SignalNodeOptions()
        nodeOptions.clock = clock
        nodeOptions.queueCapacity = n + paced + 1
        nodeOptions.dedupeTTL = .microseconds(Int64(n) * Self.stepMicroseconds / 100)
        let board = LatencyBoard(count: n + paced)
        let handler: SignalHandler = { signal in board.markHandled(Self.index(of: signal)) }
        var handlers: [String: SignalHandler] = [:]
        for type in SignalCorpus.signalTypes { handlers[type] = handler }
        let node = try SignalNode.open(nodeID: "bench", directory: directory, options: nodeOptions, handlers: handlers)

        let cpuStart = CPUTime.now()
        let start = Stopwatch.now()
        let acceptLatencies = try await Self.onThread { () throws -> [Double] in
            var latencies: [Double] = []
            latencies.reserveCapacity(n)
            for i in 0..<n {
                clock.advance(byMicroseconds: Self.stepMicroseconds)
                let t = Stopwatch.now()
                let result = try node.receive(signals[i])
                latencies.append(Double(Stopwatch.now() - t) / 1e6)
                guard result.isAccepted else {
                    throw BenchFailure.check(workload: workload, reason: "signal \(i) was not accepted: \(result)")
                }
            }
            return latencies
        }
        let acceptSeconds = Stopwatch.seconds(since: start)
        try await Self.waitUntil(board, handled: n, workload: workload)
        let totalSeconds = Stopwatch.seconds(since: start)
        let receiveCPU = CPUTime.now() - cpuStart

        // 2b. Batched receive, on fresh nodes (their own logs, so the same
        // signals are new to them); a round lasts well under a second here,
        // so the median of a few rounds is reported.
        let batchSize = 1000
        var rounds: [(rate: Double, cpu: Double)] = []
        for round in 0..<(options.quick ? 1 : Self.batchRounds) {
            rounds.append(try await batchedRound(signals: Array(signals.prefix(n)), batchSize: batchSize, options: nodeOptions,
                                                 directory: directory + "-batch-\(round)", workload: workload))
        }
        let batched = rounds.sorted { $0.rate < $1.rate }[rounds.count / 2]

        // 2c. Eight callers at once, one signal per receive call, on a fresh
        // node: what group acceptance gives concurrent producers.
        let concurrent = try await concurrentRound(signals: Array(signals.prefix(n)), callers: Self.concurrentCallers, options: nodeOptions,
                                                   directory: directory + "-concurrent", workload: workload)

        // 3. Paced: receive-to-handler latency without queueing.
        let starts = try await Self.onThread { () throws -> [UInt64] in
            var starts: [UInt64] = []
            starts.reserveCapacity(paced)
            for k in 0..<paced {
                usleep(Self.paceMicroseconds)
                clock.advance(byMicroseconds: Self.stepMicroseconds)
                starts.append(Stopwatch.now())
                let result = try node.receive(signals[n + k])
                guard result.isAccepted else {
                    throw BenchFailure.check(workload: workload, reason: "paced signal \(k) was not accepted: \(result)")
                }
            }
            return starts
        }
        try await Self.waitUntil(board, handled: n + paced, workload: workload)
        var endToEnd: [Double] = []
        for k in 0..<paced {
            let handled = board.handledTime(n + k)
            guard handled >= starts[k] else {
                throw BenchFailure.check(workload: workload, reason: "paced signal \(k) has no handler time")
            }
            endToEnd.append(Double(handled - starts[k]) / 1e6)
        }
        guard board.handled.load(ordering: .acquiring) == n + paced else {
            throw BenchFailure.wrongCount(workload: "\(workload) handled", expected: n + paced, got: board.handled.load(ordering: .acquiring))
        }
        guard await node.gracefulShutdown(timeout: .seconds(120)) else {
            throw BenchFailure.check(workload: workload, reason: "graceful shutdown did not drain the queues")
        }

        // 4. Startup on the node's own log.
        clock.advance(byMicroseconds: Self.stepMicroseconds)
        let openStart = Stopwatch.now()
        let reopened = try SignalNode.open(nodeID: "bench", directory: directory, options: nodeOptions, handlers: handlers)
        let openSeconds = Stopwatch.seconds(since: openStart)
        let report = reopened.startup
        _ = await reopened.gracefulShutdown(timeout: .seconds(10))
        try BenchFailure.expect("\(workload) reopen: pending signals", expected: 0, got: report.pendingSignals)
        try BenchFailure.expect("\(workload) handled after reopen", expected: n + paced, got: board.handled.load(ordering: .acquiring))
        let scanStart = Stopwatch.now()
        let log = try SegmentLog.openReadOnly(directory: directory)
        let records = try StartupWorkload.drain(log.read(LogQuery()))
        let scanSeconds = Stopwatch.seconds(since: scanStart)
        try log.close()
        DirectorySize.remove(directory)

        let receive = Percentiles(acceptLatencies), append = Percentiles(plain.latencies), e2e = Percentiles(endToEnd)
        return ProcessingResult(
            signals: n,
            receivePerSecond: Double(n) / totalSeconds,
            acceptPerSecond: Double(n) / acceptSeconds,
            batchSize: batchSize,
            batchReceivePerSecond: batched.rate,
            batchReceiveRoundsPerSecond: rounds.map(\.rate),
            batchCPUMicrosecondsPerSignal: batched.cpu,
            concurrentCallers: Self.concurrentCallers,
            concurrentReceivePerSecond: concurrent.rate,
            concurrentCPUMicrosecondsPerSignal: concurrent.cpu,
            appendPerSecond: Double(n) / plain.seconds,
            receiveP50Milliseconds: receive.value(at: 0.5), receiveP99Milliseconds: receive.value(at: 0.99),
            appendP50Milliseconds: append.value(at: 0.5), appendP99Milliseconds: append.value(at: 0.99),
            pacedSignals: paced,
            endToEndP50Milliseconds: e2e.value(at: 0.5), endToEndP99Milliseconds: e2e.value(at: 0.99),
            addedP50Milliseconds: e2e.value(at: 0.5) - append.value(at: 0.5),
            addedP99Milliseconds: e2e.value(at: 0.99) - append.value(at: 0.99),
            receiveCPUMicrosecondsPerSignal: receiveCPU / Double(n) * 1e6,
            appendCPUMicrosecondsPerSignal: plain.cpuSeconds / Double(n) * 1e6,
            nodeLogRecords: records,
            nodeOpenMilliseconds: openSeconds * 1000,
            nodeOpenRecordsScanned: report.recordsScanned,
            nodeLogFullScanMilliseconds: scanSeconds * 1000)
    }

    /// Signals built from the corpus with unique ids and idempotency keys:
    /// the id's first eight hex digits are the signal's number, which the
    /// handler reads back.
    func makeSignals(count: Int) -> [Signal] {
        let fields = buffers.corpus.fields
        return (0..<count).map { i in
            let f = fields[buffers.corpus.template(i)]
            let number = SignalCorpus.hex(UInt32(truncatingIfNeeded: i), 8)
            return Signal(
                content: .text(f.content), type: f.signalType, urgency: f.urgency, sourceID: f.sourceID,
                id: number + f.id.dropFirst(8), idempotencyKey: "\(f.sourceID)_\(f.signalType)_\(number)",
                correlationID: f.correlationID, createdAt: f.createdAtMilliseconds * 1000)
        }
    }

    /// Rounds of the batched phase (the median is reported).
    static let batchRounds = 3

    /// One round of the batched phase: every signal through
    /// `receive(batch:)` on a fresh node until every handler ran; returns
    /// signals per second and CPU microseconds per signal.
    func batchedRound(signals: [Signal], batchSize: Int, options: SignalNodeOptions, directory: String,
                      workload: String) async throws -> (rate: Double, cpu: Double) {
        let n = signals.count
        return try await freshNodeRound(count: n, name: "batched", options: options, directory: directory, workload: workload) { node, clock in
            try await Self.onThread { () throws -> Void in
                var first = 0
                while first < n {
                    let end = min(first + batchSize, n)
                    clock.advance(byMicroseconds: Self.stepMicroseconds * Int64(end - first))
                    let results = try node.receive(batch: Array(signals[first..<end]))
                    if let bad = results.firstIndex(where: { !$0.isAccepted }) {
                        throw BenchFailure.check(workload: workload, reason: "batched signal \(first + bad) was not accepted: \(results[bad])")
                    }
                    first = end
                }
            }
        }
    }

    /// Callers of the concurrent round.
    static let concurrentCallers = 8

    /// `callers` threads call `receive(_:)` one signal at a time, each on
    /// its share of `signals` (every caller's own in order), on a fresh
    /// node, until every handler ran.
    func concurrentRound(signals: [Signal], callers: Int, options: SignalNodeOptions, directory: String,
                         workload: String) async throws -> (rate: Double, cpu: Double) {
        let n = signals.count
        return try await freshNodeRound(count: n, name: "concurrent", options: options, directory: directory, workload: workload) { node, clock in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        try await Self.onThread { () throws -> Void in
                            var i = caller
                            while i < n {
                                clock.advance(byMicroseconds: Self.stepMicroseconds)
                                let result = try node.receive(signals[i])
                                guard result.isAccepted else {
                                    throw BenchFailure.check(workload: workload, reason: "concurrent signal \(i) was not accepted: \(result)")
                                }
                                i += callers
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Opens a fresh node whose handler marks `count` signals on a board,
    /// runs `feed` (which hands it the signals), waits until every handler
    /// ran, shuts the node down and removes its log; returns signals per
    /// second and CPU microseconds per signal from the start of `feed`.
    private func freshNodeRound(count n: Int, name: String, options: SignalNodeOptions, directory: String, workload: String,
                                feed: @Sendable (SignalNode, ManualClock) async throws -> Void) async throws -> (rate: Double, cpu: Double) {
        let board = LatencyBoard(count: n)
        let handler: SignalHandler = { signal in board.markHandled(Self.index(of: signal)) }
        var handlers: [String: SignalHandler] = [:]
        for type in SignalCorpus.signalTypes { handlers[type] = handler }
        let clock = ManualClock(microseconds: Timeline.origin)
        var options = options
        options.clock = clock
        let node = try SignalNode.open(nodeID: "bench-\(name)", directory: directory, options: options, handlers: handlers)
        let cpuStart = CPUTime.now()
        let start = Stopwatch.now()
        try await feed(node, clock)
        try await Self.waitUntil(board, handled: n, workload: "\(workload) \(name)")
        let seconds = Stopwatch.seconds(since: start)
        let cpu = CPUTime.now() - cpuStart
        guard await node.gracefulShutdown(timeout: .seconds(120)) else {
            throw BenchFailure.check(workload: workload, reason: "graceful shutdown of the \(name) node did not drain")
        }
        try BenchFailure.expect("\(workload) \(name) handled", expected: n, got: board.handled.load(ordering: .acquiring))
        DirectorySize.remove(directory)
        return (Double(n) / seconds, cpu / Double(n) * 1e6)
    }

    /// The signal's number, from the first eight (lowercase hex) digits of
    /// its id; -1 if they are not hex. Read from the UTF-8 bytes: the
    /// handler is meant to be trivial, and `Int(_:radix:)` on a substring
    /// cost more than the rest of it.
    static func index(of signal: Signal) -> Int {
        var value = 0, digits = 0
        for byte in signal.id.utf8.prefix(8) {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | Int(byte - UInt8(ascii: "a") + 10)
            default: return -1
            }
            digits += 1
        }
        return digits == 8 ? value : -1
    }

    /// Appends each signal's record to a fresh log, one call per signal.
    func plainAppend(directory: String, signals: [Signal]) throws -> (seconds: Double, latencies: [Double], cpuSeconds: Double) {
        let payloads = signals.map { SignalRecord(signal: $0).encode() }
        let clock = ManualClock(microseconds: Timeline.origin)
        var logOptions = LogOptions()
        logOptions.clock = clock
        let log = try SegmentLog.open(directory: directory, options: logOptions)
        var latencies: [Double] = []
        latencies.reserveCapacity(signals.count)
        let cpuStart = CPUTime.now()
        let start = Stopwatch.now()
        for i in 0..<signals.count {
            clock.advance(byMicroseconds: Self.stepMicroseconds)
            let t = Stopwatch.now()
            try log.append(kind: 1, partition: signals[i].partitionKey, payload: payloads[i])
            latencies.append(Double(Stopwatch.now() - t) / 1e6)
        }
        let seconds = Stopwatch.seconds(since: start)
        let cpu = CPUTime.now() - cpuStart
        try BenchFailure.expect("processing plain append", expected: signals.count, got: Int(log.nextSequence))
        try log.close()
        return (seconds, latencies, cpu)
    }

    /// Runs `body` on a thread of its own (a producer outside Swift's
    /// cooperative pool, which the node's workers use) and returns its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Waits until `handled` handlers have run, failing after five minutes.
    static func waitUntil(_ board: LatencyBoard, handled target: Int, workload: String) async throws {
        let deadline = Stopwatch.now() + 300_000_000_000
        while board.handled.load(ordering: .acquiring) < target {
            if Stopwatch.now() > deadline {
                throw BenchFailure.wrongCount(workload: "\(workload) handled within 5 minutes", expected: target,
                                              got: board.handled.load(ordering: .acquiring))
            }
            try await Task.sleep(for: .microseconds(200))
        }
    }
}
